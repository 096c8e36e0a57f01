//go:build race

package lab

// raceEnabled: this binary runs with the race detector, so lime is built
// with it too.
const raceEnabled = true
