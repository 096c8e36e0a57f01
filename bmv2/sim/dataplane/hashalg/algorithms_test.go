package hashalg

import (
	"sync"
	"testing"
)

// TestCheckValues computes each CRC over "123456789", the catalogue check
// input: the expected values are the published check values of the CRC
// catalogue for algorithms whose bmv2 parameters (crc_map.cpp) are the
// catalogue's, and bmv2's own results for the v1model names (crc16 is
// CRC-16/ARC, crc32 is CRC-32, crcCCITT is CRC-16/CCITT-FALSE).
func TestCheckValues(t *testing.T) {
	in := []byte("123456789")
	for _, tc := range []struct {
		name string
		want uint64
	}{
		{"crc16", 0xbb3d},
		{"crc32", 0xcbf43926},
		{"crcCCITT", 0x29b1},
		{"crc16_custom", 0xbb3d},
		{"crc32_custom", 0xcbf43926},
		{"crc_8", 0xf4},
		{"crc_8_maxim", 0xa1},
		{"crc_16_usb", 0xb4c8},
		{"xmodem", 0x31c3},
		{"kermit", 0x2189},
		{"modbus", 0x4b37},
		{"x_25", 0x906e},
		{"crc_32c", 0xe3069283},
		{"crc_32_bzip2", 0xfc891918},
		{"crc_32_mpeg", 0x0376e6e7},
		{"posix", 0x765e7680},
		{"jamcrc", 0x340bc6d9},
		{"crc_64_we", 0x62ec59e3f1a4f00a},
		{"crc_64_jones", 0xcaa717168609f281},
		{"poly_0x11021_init_0xffff_xout_0x0_not_rev", 0x29b1},
		{"poly_0x104c11db7_init_0xffffffff_xout_0xffffffff", 0xcbf43926},
	} {
		h, err := New(tc.name)
		if err != nil {
			t.Errorf("New(%q): %v", tc.name, err)
			continue
		}
		if got := h.Sum(in); got != tc.want {
			t.Errorf("%s(123456789) = %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// TestSimpleAlgorithms checks the non-CRC algorithms against values worked
// out from bmv2's definitions (calculations.cpp).
func TestSimpleAlgorithms(t *testing.T) {
	ipv4 := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	for _, tc := range []struct {
		name string
		in   []byte
		want uint64
	}{
		// RFC 1071 example header (checksum field zeroed): checksum 0xb861.
		{"csum16", ipv4, 0xb861},
		{"cksum16", ipv4, 0xb861},
		// Odd length: the last byte is the high byte of a zero-padded word.
		{"csum16", []byte{0x01}, 0xfeff},
		{"identity", []byte{0x01, 0x02, 0x03}, 0x010203},
		{"identity", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, 0x0102030405060708},
		{"xor16", []byte{0x12, 0x34, 0x56}, 0x1234 ^ 0x5600},
		{"xor32", []byte{1, 2, 3, 4, 5}, 0x01020304 ^ 0x05000000},
		// XXH64 of the empty string with seed 0.
		{"xxh64", nil, 0xef46db3751d8e999},
		// The default Toeplitz key is all zeros.
		{"toeplitz", []byte{0xff, 0xff}, 0},
	} {
		h, err := New(tc.name)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.name, err)
		}
		if got := h.Sum(tc.in); got != tc.want {
			t.Errorf("%s(%x) = %#x, want %#x", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestRoundRobin checks that round_robin counts calls and that
// round_robin_consistent gives one number per distinct input, including
// under concurrent use.
func TestRoundRobin(t *testing.T) {
	rr, _ := New("round_robin")
	for i := uint64(0); i < 3; i++ {
		if got := rr.Sum([]byte("x")); got != i {
			t.Fatalf("call %d: got %d", i, got)
		}
	}
	rc, _ := New("round_robin_consistent")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				rc.Sum([]byte{byte(i % 10)})
			}
		}()
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for i := 0; i < 10; i++ {
		v := rc.Sum([]byte{byte(i)})
		if v > 9 || seen[v] {
			t.Fatalf("input %d got %d (seen %v)", i, v, seen)
		}
		seen[v] = true
	}
}

// TestUnknown checks that an algorithm bmv2 does not know is refused by
// name, including "random", which bmv2's simple_switch has no hash for.
func TestUnknown(t *testing.T) {
	for _, n := range []string{"random", "sha1", "poly_0x12_init_0x0", "poly_0x1021"} {
		if _, err := New(n); err == nil {
			t.Errorf("New(%q) accepted", n)
		}
	}
	if len(Names()) < 40 {
		t.Errorf("Names() lists %d algorithms", len(Names()))
	}
}
