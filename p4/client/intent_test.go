package client

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
)

// TestIntentTranscript runs testdata/intent: what an update a device
// refused meant, by update type, entity kind and code (the proxy's mirror
// writes and the clone's resumed writes act on it).
//
//	intent TYPE KIND CODE      (KIND: table-entry, default-entry, member, counter, register)
//	uncertain CODE             (a whole write failed without details)
func TestIntentTranscript(t *testing.T) {
	kinds := map[string]*p4v1.Entity{
		"table-entry":   {Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: 1}}},
		"default-entry": {Entity: &p4v1.Entity_TableEntry{TableEntry: &p4v1.TableEntry{TableId: 1, IsDefaultAction: true}}},
		"member":        {Entity: &p4v1.Entity_ActionProfileMember{ActionProfileMember: &p4v1.ActionProfileMember{ActionProfileId: 1, MemberId: 1}}},
		"counter":       {Entity: &p4v1.Entity_CounterEntry{CounterEntry: &p4v1.CounterEntry{CounterId: 1}}},
		"register":      {Entity: &p4v1.Entity_RegisterEntry{RegisterEntry: &p4v1.RegisterEntry{RegisterId: 1}}},
	}
	codeOf := func(d *datadriven.TestData, s string) codes.Code {
		c, ok := code.Code_value[s]
		if !ok {
			d.Fatalf(t, "unknown code %q", s)
		}
		return codes.Code(c)
	}
	datadriven.RunTest(t, "testdata/intent", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "intent":
			if len(d.CmdArgs) != 3 {
				d.Fatalf(t, "intent TYPE KIND CODE")
			}
			typ := p4v1.Update_Type(p4v1.Update_Type_value[d.CmdArgs[0].Key])
			e, ok := kinds[d.CmdArgs[1].Key]
			if !ok {
				d.Fatalf(t, "unknown kind %q", d.CmdArgs[1].Key)
			}
			u := &p4v1.Update{Type: typ, Entity: e}
			o, next := Intent(u, codeOf(d, d.CmdArgs[2].Key))
			if next != nil && next != u {
				return fmt.Sprintf("%s as %s\n", o, next.Type)
			}
			return o.String() + "\n"
		case "uncertain":
			return fmt.Sprintln(Uncertain(codeOf(d, d.CmdArgs[0].Key)))
		}
		d.Fatalf(t, "unknown command %q", d.Cmd)
		return ""
	})
}
