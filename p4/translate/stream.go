package translate

import (
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// PacketMetadata translates the metadata of a packet-in or packet-out whose
// controller header is header ("packet_in" or "packet_out"): metadata ids
// by name, port fields by the port map. md is modified in place.
func (t *Translator) PacketMetadata(header string, md []*p4v1.PacketMetadata) error {
	from := t.From.PacketMetadataByName(header)
	if from == nil {
		return fmt.Errorf("%w: controller header %q", ErrUnknownID, header)
	}
	mp := t.meta[from.ID]
	for _, m := range md {
		f := from.Field(m.MetadataId)
		to := mp.fields[m.MetadataId]
		if f == nil || to == nil {
			return fmt.Errorf("%w: %s metadata %d", ErrUnknownID, header, m.MetadataId)
		}
		if f.IsPort {
			v, err := t.ports.Bytes(m.Value, f.IsString, to.Width)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", header, f.Name, err)
			}
			m.Value = v
		}
		m.MetadataId = to.ID
	}
	return nil
}

// DigestList translates a digest list: its digest id and the port members
// of each struct of data. d is modified in place.
func (t *Translator) DigestList(d *p4v1.DigestList) error {
	dp := t.digests[d.DigestId]
	if dp == nil {
		return unknown("digest", d.DigestId)
	}
	d.DigestId = dp.to.ID
	for _, data := range d.Data {
		st := data.GetStruct()
		if st == nil {
			continue
		}
		for i, m := range st.Members {
			if i >= len(dp.from.Members) || !dp.from.Members[i].IsPort {
				continue
			}
			bs, ok := m.Data.(*p4v1.P4Data_Bitstring)
			if !ok {
				continue
			}
			v, err := t.ports.Bytes(bs.Bitstring, dp.from.Members[i].IsString, dp.to.Members[i].Width)
			if err != nil {
				return fmt.Errorf("digest %s member %s: %w", dp.from.Name, dp.from.Members[i].Name, err)
			}
			bs.Bitstring = v
		}
	}
	return nil
}
