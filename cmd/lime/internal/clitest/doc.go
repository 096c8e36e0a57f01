// Package clitest helps the tests of lime's subcommands, which run a verb
// in-process while reading what it prints: [Buffer] collects output and
// logs from the command's goroutines and the test's alike.
package clitest
