// Package syncbuf holds [Buffer], a bytes.Buffer that a command or process
// writes while a test reads it: for the tests that run a lime verb
// in-process (cmd/lime) or as a process (test/lab) and read what it prints.
package syncbuf
