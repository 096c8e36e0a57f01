// Package gnmitest holds helpers for tests that speak gNMI as outside
// clients do.
package gnmitest
