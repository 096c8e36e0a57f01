package difftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The differences the test tolerates are those bmv2/sim/README.md lists
// under "Differences from real bmv2", by ID, and no other (issue 16).
func TestDocumentedMatchesREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "### Differences from real bmv2")
	if i < 0 {
		t.Fatal(`bmv2/sim/README.md has no "### Differences from real bmv2" section`)
	}
	section := readme[i:]
	if len(Documented) == 0 && !strings.Contains(section, "none.") {
		t.Errorf("no difference is documented in the test, but the README's section does not say none:\n%s", section)
	}
	for _, d := range DocumentedPackets {
		if d.ID == "" || d.Why == "" {
			t.Errorf("documented packet difference %+v lacks an ID or a reason", d)
		}
		if !strings.Contains(section, "`"+d.ID+"`") {
			t.Errorf("documented packet difference %s is not listed in bmv2/sim/README.md", d.ID)
		}
	}
	for _, d := range Documented {
		if d.ID == "" || d.Why == "" || d.Match == nil {
			t.Errorf("documented difference %+v lacks an ID, a reason or a matcher", d)
		}
		if !strings.Contains(section, "`"+d.ID+"`") {
			t.Errorf("documented difference %s is not listed in bmv2/sim/README.md", d.ID)
		}
	}
}
