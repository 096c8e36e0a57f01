package dataplane

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

// ReadRegisterRange reads across its chunks (of registerChunk cells, the
// array locked one chunk at a time) what ReadRegister reads cell by cell,
// for registers of at most 64 bits and wider ones.
func TestReadRegisterRange(t *testing.T) {
	s := &synth{
		types:   []string{htype("h_t", "a:8")},
		headers: []string{hinst("h", "h_t", 2)},
		states:  []string{pstate("start", []string{extract("h")}, nil, tr("default", "", ""))},
		deparse: []string{"h"},
		top: map[string]string{"register_arrays": `[{"name":"narrow","id":0,"size":3000,"bitwidth":20},
			{"name":"wide","id":1,"size":2100,"bitwidth":100},{"name":"none","id":2,"size":0,"bitwidth":8}]`},
	}
	sw := New(s.load(t), Options{})
	for _, c := range []struct {
		name  string
		size  uint64
		width int
	}{{"narrow", 3000, 20}, {"wide", 2100, 100}} {
		t.Run(c.name, func(t *testing.T) {
			want := map[uint64][]byte{}
			for _, i := range []uint64{0, 1, registerChunk - 1, registerChunk, registerChunk + 1, 2*registerChunk + 3, c.size - 1} {
				v := new(big.Int).Lsh(big.NewInt(int64(i)+1), uint(c.width-12)) // high bits set
				v.Add(v, big.NewInt(int64(i)))
				want[i] = bigBytes(v, nbytes(c.width))
				must(t, sw.WriteRegister(c.name, i, want[i]))
			}
			zero := make([]byte, nbytes(c.width))
			var next uint64 = 5
			must(t, sw.ReadRegisterRange(c.name, 5, c.size-1, func(i uint64, v []byte) error {
				if i != next {
					t.Fatalf("index %d, want %d", i, next)
				}
				next++
				w, ok := want[i]
				if !ok {
					w = zero
				}
				if !bytes.Equal(v, w) {
					t.Fatalf("[%d] = %x, want %x", i, v, w)
				}
				if one, err := sw.ReadRegister(c.name, i); err != nil || !bytes.Equal(one, v) {
					t.Fatalf("ReadRegister [%d] = %x %v, range read %x", i, one, err, v)
				}
				return nil
			}))
			if next != c.size {
				t.Fatalf("read up to %d, want %d", next, c.size)
			}
			all, err := sw.ReadRegisters(c.name)
			must(t, err)
			if uint64(len(all)) != c.size || !bytes.Equal(all[registerChunk], want[registerChunk]) || !bytes.Equal(all[c.size-1], want[c.size-1]) {
				t.Fatalf("ReadRegisters: %d cells", len(all))
			}
		})
	}
	// fn's error ends the read with it.
	stop := errors.New("stop")
	n := 0
	if err := sw.ReadRegisterRange("narrow", 0, 2999, func(uint64, []byte) error {
		if n++; n == registerChunk+2 {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) || n != registerChunk+2 {
		t.Fatalf("after %d cells: %v, want %v after %d", n, err, stop, registerChunk+2)
	}
	// Out of range, and an empty range.
	mustErr(t, sw.ReadRegisterRange("narrow", 0, 3000, func(uint64, []byte) error { return nil }), ErrNotFound)
	mustErr(t, sw.ReadRegisterRange("nope", 0, 0, func(uint64, []byte) error { return nil }), ErrNotFound)
	must(t, sw.ReadRegisterRange("narrow", 7, 6, func(uint64, []byte) error { t.Fatal("a cell of an empty range"); return nil }))
	// An array of no cells reads as no cells.
	if all, err := sw.ReadRegisters("none"); err != nil || all == nil || len(all) != 0 {
		t.Fatalf("ReadRegisters of no cells: %v %v", all, err)
	}
}
