// Package regs carries P4Runtime register entities over bmv2's Thrift
// runtime API. P4Runtime on bmv2 answers UNIMPLEMENTED to register reads and
// writes (PI issue 376); Reader and Writer take over exactly then, so the
// migrator reads and writes registers the same way on bmv2 as on targets
// that implement them.
//
// Values travel over Thrift as signed 64-bit integers, and bmv2 truncates a
// written value to the register's width; registers wider than 64 bits are
// out of this API's reach and are refused by name.
package regs
