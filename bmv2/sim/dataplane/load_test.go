package dataplane

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lime-p4/lime/internal/fixtures"
)

func loadFixture(t testing.TB, name string) *Program {
	t.Helper()
	b, err := os.ReadFile(fixtures.Get(t, name).JSON)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(b)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return p
}

// TestLoadAll loads every compiled program of the shared fixtures: all
// must compile with no unsupported construct.
func TestLoadAll(t *testing.T) {
	for _, fx := range fixtures.All(t) {
		if fx.JSON == "" {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			b, err := os.ReadFile(fx.JSON)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Load(b)
			var ue *UnsupportedError
			if errors.As(err, &ue) {
				t.Fatalf("unsupported:\n  %s", strings.Join(ue.Constructs, "\n  "))
			}
			if err != nil {
				t.Fatal(err)
			}
			New(p, Options{})
		})
	}
}
