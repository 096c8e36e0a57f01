package plan

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: no plan file, however malformed, crashes the parser; one it
// refuses is refused with an error that names the file; one it takes is
// whole (issue: "validated whole before anything is written"): every
// device once, every host in exactly one group, every link answered by a
// link back. The seeds are the parse transcripts' inputs and the example
// network's plan (testdata/fuzz/FuzzParse holds more).
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/parse", "../../examples/network/plan.yaml"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if !strings.HasSuffix(path, ".yaml") {
			for _, block := range transcriptInputs(string(b)) {
				f.Add([]byte(block))
			}
			continue
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		devs := map[uint64]*Device{}
		for i := range p.Devices {
			d := &p.Devices[i]
			if devs[d.VID] != nil {
				t.Fatalf("device %d twice", d.VID)
			}
			devs[d.VID] = d
		}
		grouped := map[Ref]int{}
		for _, g := range p.Groups {
			for _, h := range g {
				grouped[h]++
			}
		}
		for _, d := range p.Devices {
			for _, h := range d.Hosts {
				if n := grouped[Ref{d.VID, h}]; n != 1 {
					t.Fatalf("host %d:%d is in %d groups", d.VID, h, n)
				}
			}
			for port, peer := range d.Links {
				o := devs[peer.Device]
				if o == nil || o.Links[peer.Port] != (Ref{d.VID, port}) {
					t.Fatalf("link %d:%d -> %v does not come back", d.VID, port, peer)
				}
			}
		}
		if len(grouped) != hostCount(p) {
			t.Fatalf("groups hold %d hosts, the devices %d", len(grouped), hostCount(p))
		}
	})
}

func hostCount(p *Plan) int {
	n := 0
	for _, d := range p.Devices {
		n += len(d.Hosts)
	}
	return n
}

// transcriptInputs are the inputs of a datadriven file's commands.
func transcriptInputs(s string) []string {
	var out []string
	for _, block := range strings.Split(s, "\n----\n") {
		lines := strings.Split(block, "\n")
		for i, l := range lines {
			if l == "parse" {
				out = append(out, strings.Join(lines[i+1:], "\n"))
				break
			}
		}
	}
	return out
}
