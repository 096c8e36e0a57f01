package hashalg

import "math/bits"

// CRCParams describes a CRC the way bmv2's crc_custom does: width in bits
// (8, 16, 32 or 64), the polynomial without its leading bit, the initial
// remainder, the final XOR value and whether input bytes and the final
// remainder are bit-reflected.
type CRCParams struct {
	Width              int
	Poly, Init, XorOut uint64
	ReflectIn          bool
	ReflectOut         bool
}

// crc is a table-driven CRC over one CRCParams, MSB-first table with
// optional reflection, exactly as bmv2's crc_custom<T>.
type crc struct {
	p     CRCParams
	mask  uint64
	table [256]uint64
}

func newCRC(p CRCParams) *crc {
	c := &crc{p: p}
	if p.Width == 64 {
		c.mask = ^uint64(0)
	} else {
		c.mask = (uint64(1) << uint(p.Width)) - 1
	}
	top := uint64(1) << uint(p.Width-1)
	for d := 0; d < 256; d++ {
		r := (uint64(d) << uint(p.Width-8)) & c.mask
		for i := 0; i < 8; i++ {
			if r&top != 0 {
				r = ((r << 1) ^ p.Poly) & c.mask
			} else {
				r = (r << 1) & c.mask
			}
		}
		c.table[d] = r
	}
	return c
}

func reflect(v uint64, n int) uint64 {
	return bits.Reverse64(v) >> uint(64-n)
}

// Sum computes the CRC of b.
func (c *crc) Sum(b []byte) uint64 {
	w := uint(c.p.Width)
	r := c.p.Init & c.mask
	for _, x := range b {
		d := uint64(x)
		if c.p.ReflectIn {
			d = reflect(d, 8)
		}
		idx := (d ^ (r >> (w - 8))) & 0xff
		r = (c.table[idx] ^ (r << 8)) & c.mask
	}
	if c.p.ReflectOut {
		r = reflect(r, c.p.Width)
	}
	return (r ^ c.p.XorOut) & c.mask
}

// crcMap is bmv2's CrcMap (crc_map.cpp): named CRCs after crcmod's
// predefined list, with bmv2's parameters.
var crcMap = map[string]CRCParams{
	"crc_8":           {8, 0x07, 0x00, 0x00, false, false},
	"crc_8_darc":      {8, 0x39, 0x00, 0x00, true, true},
	"crc_8_i_code":    {8, 0x1d, 0xfd, 0x00, false, false},
	"crc_8_itu":       {8, 0x07, 0x00, 0x55, false, false},
	"crc_8_maxim":     {8, 0x31, 0x00, 0x00, true, true},
	"crc_8_rohc":      {8, 0x07, 0xff, 0x00, true, true},
	"crc_8_wcdma":     {8, 0x9b, 0x00, 0x00, true, true},
	"crc_16":          {16, 0x8005, 0x0000, 0x0000, true, true},
	"crc_16_buypass":  {16, 0x8005, 0x0000, 0x0000, false, false},
	"crc_16_dds_110":  {16, 0x8005, 0x800d, 0x0000, false, false},
	"crc_16_dect":     {16, 0x0589, 0x0000, 0x0001, false, false},
	"crc_16_dnp":      {16, 0x3d65, 0x0000, 0xffff, true, true},
	"crc_16_en_13757": {16, 0x3d65, 0x0000, 0xffff, false, false},
	"crc_16_genibus":  {16, 0x1021, 0xffff, 0xffff, false, false},
	"crc_16_maxim":    {16, 0x8005, 0x0000, 0xffff, true, true},
	"crc_16_mcrf4xx":  {16, 0x1021, 0xffff, 0x0000, true, true},
	"crc_16_riello":   {16, 0x1021, 0xb2aa, 0x0000, true, true},
	"crc_16_t10_dif":  {16, 0x8bb7, 0x0000, 0x0000, false, false},
	"crc_16_teledisk": {16, 0xa097, 0x0000, 0x0000, false, false},
	"crc_16_usb":      {16, 0x8005, 0xffff, 0xffff, true, true},
	"x_25":            {16, 0x1021, 0xffff, 0xffff, true, true},
	"xmodem":          {16, 0x1021, 0x0000, 0x0000, false, false},
	"modbus":          {16, 0x8005, 0xffff, 0x0000, true, true},
	"kermit":          {16, 0x1021, 0x0000, 0x0000, true, true},
	"crc_ccitt_false": {16, 0x1021, 0xffff, 0x0000, false, false},
	"crc_aug_ccitt":   {16, 0x1021, 0x1d0f, 0x0000, false, false},
	"crc_32":          {32, 0x04c11db7, 0xffffffff, 0xffffffff, true, true},
	"crc_32_bzip2":    {32, 0x04c11db7, 0xffffffff, 0xffffffff, false, false},
	"crc_32c":         {32, 0x1edc6f41, 0xffffffff, 0xffffffff, true, true},
	"crc_32d":         {32, 0xa833982b, 0xffffffff, 0xffffffff, true, true},
	"crc_32_mpeg":     {32, 0x04c11db7, 0xffffffff, 0x00000000, false, false},
	"posix":           {32, 0x04c11db7, 0x00000000, 0xffffffff, false, false},
	"crc_32q":         {32, 0x814141ab, 0x00000000, 0x00000000, false, false},
	"jamcrc":          {32, 0x04c11db7, 0xffffffff, 0x00000000, true, true},
	"xfer":            {32, 0x000000af, 0x00000000, 0x00000000, false, false},
	"crc_64":          {64, 0x000000000000001b, 0, 0, true, true},
	"crc_64_we":       {64, 0x42f0e1eba9ea3693, 0xffffffffffffffff, 0xffffffffffffffff, false, false},
	"crc_64_jones":    {64, 0xad93d23594c935a9, 0xffffffffffffffff, 0x0000000000000000, true, true},
}

// customDefaults are the initial configurations of bmv2's crcN_custom
// calculations (calculations.cpp, crc_custom_init).
var customDefaults = map[string]CRCParams{
	"crc8_custom":  {8, 0x07, 0x00, 0x00, false, false},
	"crc16_custom": {16, 0x8005, 0x0000, 0x0000, true, true},
	"crc32_custom": {32, 0x04c11db7, 0xffffffff, 0xffffffff, true, true},
	"crc64_custom": {64, 0x000000000000001b, 0, 0, true, true},
}
