// Package internal holds helpers shared by lime's packages and tests that are
// not part of its public API.
package internal
