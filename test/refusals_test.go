//go:build linux

package test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/pipelines"
	"github.com/lime-p4/lime/test/lab"
)

// Issue 15 (C), on real bmv2: P4Infos that p4c may well produce and that
// PI refuses when it imports them (p4lang/PI p4info_proto_reader), each
// answered UNKNOWN by SetForwardingPipelineConfig, VERIFY included, while
// the pipeline set before stays: lime_l2 as it was before issue 15 (its
// digest carried a @p4runtime_translation port), a digest member that is an
// int<W>, a digest struct missing from type_info, a counter, a direct
// counter or a meter without a unit, a match field without a match type.
func TestRealBMv2PipelineRefusals(t *testing.T) { pipelineRefusals(t, lab.RealBMv2(t)) }

// The same on the simulator (bmv2 profile), which must refuse the same.
func TestSimPipelineRefusals(t *testing.T) { pipelineRefusals(t, lab.Sim{Links: lab.Memory}) }

func pipelineRefusals(t *testing.T, b lab.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	l2Dir, err := filepath.Abs("../pipelines/" + pipelines.LimeL2)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := pipelines.LoadDir(l2Dir)
	if err != nil {
		t.Fatal(err)
	}
	basic, err := pipelines.LoadDir(fixtures.Get(t, "onos-basic").Dir)
	if err != nil {
		t.Fatal(err)
	}
	digestMember := func(p *p4configv1.P4Info, member string) *p4configv1.P4DataTypeSpec {
		for _, m := range p.GetTypeInfo().GetStructs()[pipelines.L2LearnDigest].GetMembers() {
			if m.GetName() == member {
				return m.GetTypeSpec()
			}
		}
		t.Fatalf("no member %s in %s", member, pipelines.L2LearnDigest)
		return nil
	}
	cases := []struct {
		name string
		prog *pipelines.Program
		bad  func(p *p4configv1.P4Info)
	}{
		{"lime_l2 with a translated port in its digest", l2, func(p *p4configv1.P4Info) {
			ts := digestMember(p, "ingress_port")
			ts.TypeSpec = &p4configv1.P4DataTypeSpec_NewType{NewType: &p4configv1.P4NamedType{Name: "PortId_t"}}
			if p.TypeInfo.NewTypes == nil {
				p.TypeInfo.NewTypes = map[string]*p4configv1.P4NewTypeSpec{}
			}
			p.TypeInfo.NewTypes["PortId_t"] = &p4configv1.P4NewTypeSpec{Representation: &p4configv1.P4NewTypeSpec_TranslatedType{
				TranslatedType: &p4configv1.P4NewTypeTranslation{Uri: "p4.org/psa/v1/PortId_t", SdnType: &p4configv1.P4NewTypeTranslation_SdnBitwidth{SdnBitwidth: 32}}}}
		}},
		{"a digest member of type int<12>", l2, func(p *p4configv1.P4Info) {
			digestMember(p, "vid").GetBitstring().TypeSpec = &p4configv1.P4BitstringLikeTypeSpec_Int{Int: &p4configv1.P4IntTypeSpec{Bitwidth: 12}}
		}},
		{"a digest struct missing from type_info", l2, func(p *p4configv1.P4Info) {
			delete(p.TypeInfo.Structs, pipelines.L2LearnDigest)
		}},
		{"a counter without a unit", basic, func(p *p4configv1.P4Info) { p.Counters[0].Spec.Unit = p4configv1.CounterSpec_UNSPECIFIED }},
		{"a direct counter without a unit", basic, func(p *p4configv1.P4Info) { p.DirectCounters[0].Spec.Unit = p4configv1.CounterSpec_UNSPECIFIED }},
		{"a meter without a unit", basic, func(p *p4configv1.P4Info) { p.Meters[0].Spec.Unit = p4configv1.MeterSpec_UNSPECIFIED }},
		{"a match field without a match type", basic, func(p *p4configv1.P4Info) {
			p.Tables[0].MatchFields[0].Match = &p4configv1.MatchField_OtherMatchType{OtherMatchType: "fancy"}
		}},
	}

	s1 := b.Start(t, lab.Spec{Name: "s1", DeviceID: 1, CPUPort: 255})
	c, err := client.Dial(ctx, s1.Addr, client.DialOptions{DeviceID: 1, Insecure: true,
		ElectionID: &client.ElectionID{High: 1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.Arbitrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	const cookie = 0xc0ffee
	if err := c.SetPipeline(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, l2.P4Info, l2.JSON, cookie); err != nil {
		t.Fatalf("lime_l2 as committed: %v", err)
	}
	for _, tc := range cases {
		p := proto.Clone(tc.prog.P4Info).(*p4configv1.P4Info)
		tc.bad(p)
		for _, a := range []p4v1.SetForwardingPipelineConfigRequest_Action{
			p4v1.SetForwardingPipelineConfigRequest_VERIFY, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT,
		} {
			if err := c.SetPipeline(ctx, a, p, tc.prog.JSON, 1); status.Code(err) != codes.Unknown {
				t.Errorf("%s, %v: %v, want UNKNOWN", tc.name, a, err)
			} else {
				t.Logf("%s, %v: %v", tc.name, a, err)
			}
		}
	}
	cfg, err := c.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_COOKIE_ONLY)
	if err != nil || cfg.GetCookie().GetCookie() != cookie {
		t.Fatalf("after the refusals: cookie %v, %v; want lime_l2's %#x", cfg.GetCookie(), err, cookie)
	}
	if _, err := c.ReadAll(ctx, &p4v1.Entity{Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{}}}); err != nil {
		t.Fatalf("reading lime_l2's tables after the refusals: %v", err)
	}
}
