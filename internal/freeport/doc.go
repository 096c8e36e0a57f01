// Package freeport gives tests loopback TCP addresses that were free a
// moment ago, for a server a test starts on an address it must know
// beforehand (a flag, a plan file). It listens on 127.0.0.1:0 and closes:
// another process may take the port in between, which tests accept.
// test/lab.FreePorts also never hands out a port twice in a process, for
// switches whose start hangs on a taken port.
package freeport
