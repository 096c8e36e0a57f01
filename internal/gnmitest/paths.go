package gnmitest

import (
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

// BothForms returns a copy of p that carries its elements twice, as
// openconfig's gnmi_cli sends every path (ygot.StringToPath with
// StructuredPath and StringSlicePath): in elem and in the deprecated
// element field, a list entry as one string "interface[name=eth0]".
func BothForms(p *gpb.Path) *gpb.Path { return WithElement(p, Strings(p)) }

// ElementOnly returns p (its target and origin, and its elements) in the
// deprecated element form alone.
func ElementOnly(p *gpb.Path) *gpb.Path {
	return WithElement(&gpb.Path{Target: p.GetTarget(), Origin: p.GetOrigin()}, Strings(p))
}

// WithElement returns a copy of p whose deprecated element field holds
// element.
func WithElement(p *gpb.Path, element []string) *gpb.Path {
	q := proto.Clone(p).(*gpb.Path)
	//lint:ignore SA1019 outside clients still send the deprecated field
	q.Element = element
	return q
}

// Strings renders p's elem in the deprecated element form.
func Strings(p *gpb.Path) []string {
	out := make([]string, 0, len(p.GetElem()))
	for _, e := range p.GetElem() {
		keys := make([]string, 0, len(e.GetKey()))
		for k := range e.GetKey() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString(e.GetName())
		for _, k := range keys {
			fmt.Fprintf(&b, "[%s=%s]", k, e.GetKey()[k])
		}
		out = append(out, b.String())
	}
	return out
}
