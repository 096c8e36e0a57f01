package p4rt_test

import (
	"testing"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
)

func TestLoadEveryPipeline(t *testing.T) {
	for _, p := range withJSON(t) {
		for _, prof := range []p4rt.Profile{p4rt.ProfileBMv2, p4rt.ProfileSpec} {
			t.Run(p.Name+"/"+prof.String(), func(t *testing.T) {
				h := newHarness(t, prof)
				h.load(p)
			})
		}
	}
}
