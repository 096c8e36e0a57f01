package p4rt

import (
	"sync"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/info"
)

// state is everything P4Runtime reads back for one pipeline.
type state struct {
	dev    *Device
	pipe   *Pipeline
	inf    *info.Info
	prog   Program
	config *p4v1.ForwardingPipelineConfig // as set (for Get)

	tables   map[uint32]*tableState
	profiles map[uint32]*profileState
	// meterCfg holds indirect meter configurations that are not the default.
	meterCfg map[meterCell]*p4v1.MeterConfig
	mcast    map[uint32]*p4v1.MulticastGroupEntry
	clones   map[uint32]*p4v1.CloneSessionEntry
	vsets    map[uint32][]*p4v1.ValueSetMember
	digests  *digestMgr
	pktIO    packetIO
	// idleMu guards the idle maps of the tables: the data plane reports
	// hits without taking Device.mu.
	idleMu sync.Mutex
}

type meterCell struct {
	id    uint32
	index int64
}

func newState(d *Device, p *Pipeline, prog Program, cfg *p4v1.ForwardingPipelineConfig) (*state, error) {
	st := &state{
		dev:      d,
		pipe:     p,
		inf:      p.Info,
		prog:     prog,
		config:   cfg,
		tables:   map[uint32]*tableState{},
		profiles: map[uint32]*profileState{},
		meterCfg: map[meterCell]*p4v1.MeterConfig{},
		mcast:    map[uint32]*p4v1.MulticastGroupEntry{},
		clones:   map[uint32]*p4v1.CloneSessionEntry{},
		vsets:    map[uint32][]*p4v1.ValueSetMember{},
	}
	st.digests = newDigestMgr(d, p.Info)
	st.pktIO = newPacketIO(p.Info)
	for _, ap := range p.Info.ActionProfiles {
		st.profiles[ap.ID] = newProfileState(ap)
	}
	for _, t := range p.Info.Tables {
		ts := newTableState(t, p)
		st.tables[t.ID] = ts
		for _, e := range p.InitialEntries[t.ID] {
			if err := st.insertInitial(ts, e); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// insertInitial installs one of the program's declared entries. The
// program installs them in its own tables; the P4Runtime layer only
// records them for reads.
func (st *state) insertInitial(ts *tableState, e *p4v1.TableEntry) error {
	key, err := st.entryKey(ts.t, e)
	if err != nil {
		return errorf(ErrInternal, "table %q: declared entry: %v", ts.t.Name, err)
	}
	if _, dup := ts.index[key]; dup {
		return errorf(ErrInternal, "table %q: declared entry listed twice", ts.t.Name)
	}
	ts.add(key, marshalEntry(e), e.GetIsConst())
	return nil
}
