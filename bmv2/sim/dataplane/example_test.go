package dataplane_test

import (
	"fmt"
	"os"

	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/internal/fixtures"
)

// Load a program, install a route and send an IPv4 packet through it.
func Example() {
	ps, err := fixtures.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	var jsonPath string
	for _, p := range ps {
		if p.Name == "tutorials-basic" {
			jsonPath = p.JSON
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := dataplane.Load(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	sw := dataplane.New(prog, dataplane.Options{})
	err = sw.AddEntry("MyIngress.ipv4_lpm", dataplane.Entry{
		Match:  []dataplane.FieldMatch{dataplane.LPM([]byte{10, 0, 1, 0}, 24)},
		Action: dataplane.Call("MyIngress.ipv4_forward", []byte{8, 0, 0, 0, 1, 0x11}, []byte{1}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	frame := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 2, 0x22, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 2, 2, 10, 0, 1, 1, // IPv4
	}
	res := sw.Process(2, frame)
	for _, o := range res.Outputs {
		fmt.Printf("port %d, ttl %d\n", o.Port, o.Frame[22])
	}
	// Output: port 1, ttl 63
}
