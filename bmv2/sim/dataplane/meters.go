package dataplane

import (
	"fmt"
	"sync"
)

// Meter colours, as bmv2 writes them into the result field.
const (
	ColorGreen  = 0
	ColorYellow = 1
	ColorRed    = 2
)

// meterArray is a meter array; direct meters keep their cells in the
// table entries instead.
type meterArray struct {
	unit  MeterUnit
	cells []meterCell
}

// execute runs meter cell i for packet p (i in range).
func (a *meterArray) execute(i uint64, p *pkt) int {
	return a.cells[i].execute(p, a.unit)
}

// rateState is one token bucket of a meter, in bmv2's form: rates in
// units per microsecond, tokens computed against the switch's start.
type rateState struct {
	infoRate   float64
	burst      uint64
	tokens     uint64
	tokensLast uint64
}

// meterCell is a two-rate three-colour marker (RFC 2698, colour-blind)
// computed as bmv2's Meter::execute: the peak bucket is checked first
// (red when short), then the committed one (yellow when short).
type meterCell struct {
	mu         sync.Mutex
	configured bool
	cfg        MeterConfig
	rates      [2]rateState // [0] peak (red), [1] committed (yellow)
	counts     [3]counterCell
}

// configure sets or (cfg nil) clears the cell's rates. bmv2 refuses a
// committed rate above the peak rate.
func (m *meterCell) configure(cfg *MeterConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cfg == nil {
		m.configured = false
		m.cfg = MeterConfig{}
		return nil
	}
	if cfg.CIR > cfg.PIR {
		return fmt.Errorf("%w: meter CIR %d above PIR %d", ErrInvalid, cfg.CIR, cfg.PIR)
	}
	m.configured = true
	m.cfg = *cfg
	m.rates[0] = rateState{infoRate: float64(cfg.PIR) / 1e6, burst: cfg.PBurst, tokens: cfg.PBurst}
	m.rates[1] = rateState{infoRate: float64(cfg.CIR) / 1e6, burst: cfg.CBurst, tokens: cfg.CBurst}
	return nil
}

// config returns the configuration, nil when unconfigured.
func (m *meterCell) config() *MeterConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.configured {
		return nil
	}
	c := m.cfg
	return &c
}

// execute marks packet p and returns its colour; an unconfigured meter
// marks everything green.
func (m *meterCell) execute(p *pkt, unit MeterUnit) int {
	input := uint64(1)
	if unit == MeterBytes {
		input = uint64(p.ingressLen)
	}
	color := ColorGreen
	m.mu.Lock()
	if m.configured {
		now := float64(max(p.now, 0))
		for i := range m.rates {
			r := &m.rates[i]
			sinceInit := uint64(now * r.infoRate)
			if sinceInit > r.tokensLast {
				if add := sinceInit - r.tokensLast; r.tokens >= r.burst || add >= r.burst-r.tokens {
					r.tokens = r.burst
				} else {
					r.tokens += add
				}
				r.tokensLast = sinceInit
			}
			if r.tokens < input {
				if i == 0 {
					color = ColorRed
				} else {
					color = ColorYellow
				}
				break
			}
			r.tokens -= input
		}
	}
	m.mu.Unlock()
	m.counts[color].add(uint64(p.ingressLen))
	return color
}

func (m *meterCell) colorCounts() MeterCounts {
	return MeterCounts{Green: m.counts[0].get(), Yellow: m.counts[1].get(), Red: m.counts[2].get()}
}
