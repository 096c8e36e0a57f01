package p4test

import (
	"os"
	"testing"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/internal/fixtures"
	"github.com/lime-p4/lime/p4/info"
)

// Config reads a shared fixture's compiled program, its P4Info (text format)
// and bmv2 JSON, as the ForwardingPipelineConfig a
// SetForwardingPipelineConfig carries, with the given cookie. It fails the
// test, naming the file, when either does not read or parse.
func Config(t testing.TB, fx fixtures.Pipeline, cookie uint64) *p4v1.ForwardingPipelineConfig {
	t.Helper()
	p := P4Info(t, fx)
	js, err := os.ReadFile(fx.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return &p4v1.ForwardingPipelineConfig{P4Info: p, P4DeviceConfig: js, Cookie: &p4v1.ForwardingPipelineConfig_Cookie{Cookie: cookie}}
}

// P4Info reads the fixture's P4Info, failing the test, naming the file,
// when it does not read or parse.
func P4Info(t testing.TB, fx fixtures.Pipeline) *p4configv1.P4Info {
	t.Helper()
	text, err := os.ReadFile(fx.P4Info)
	if err != nil {
		t.Fatal(err)
	}
	p, err := info.ParseText(text)
	if err != nil {
		t.Fatalf("%s: %v", fx.P4Info, err)
	}
	return p
}

// Index indexes p with [info.New], failing the test on an error.
func Index(t testing.TB, p *p4configv1.P4Info, opts ...info.Option) *info.Info {
	t.Helper()
	in, err := info.New(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return in
}
