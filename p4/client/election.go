package client

import (
	"cmp"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// ElectionID is the 128-bit election id of P4Runtime client arbitration
// (spec section "Client Arbitration Update"): the live client with the highest
// id for a (device id, role) pair is the primary.
type ElectionID struct {
	High uint64
	Low  uint64
}

// ElectionIDFrom converts the wire form; a nil Uint128 (an unset election
// id) gives nil.
func ElectionIDFrom(u *p4v1.Uint128) *ElectionID {
	if u == nil {
		return nil
	}
	return &ElectionID{High: u.GetHigh(), Low: u.GetLow()}
}

// Proto returns the wire form of id; a nil id (unset: never primary) gives
// nil.
func (id *ElectionID) Proto() *p4v1.Uint128 {
	if id == nil {
		return nil
	}
	return &p4v1.Uint128{High: id.High, Low: id.Low}
}

// Compare returns -1, 0 or +1 as id is lower than, equal to or higher than
// other, comparing the 128-bit values.
func (id ElectionID) Compare(other ElectionID) int {
	if c := cmp.Compare(id.High, other.High); c != 0 {
		return c
	}
	return cmp.Compare(id.Low, other.Low)
}

// String formats id as a decimal when it fits 64 bits, else as high:low.
func (id ElectionID) String() string {
	if id.High == 0 {
		return fmt.Sprintf("%d", id.Low)
	}
	return fmt.Sprintf("%d:%d", id.High, id.Low)
}
