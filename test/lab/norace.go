//go:build !race

package lab

// raceEnabled: this binary runs without the race detector.
const raceEnabled = false
