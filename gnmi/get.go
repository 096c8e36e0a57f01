package gnmi

import (
	"context"
	"fmt"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/value"
)

// Get answers a snapshot of the requested paths (gNMI spec 3.3), one
// Notification per path. With PROTO encoding every leaf is its own Update
// with a scalar value and its full path, as Stratum answers (ONOS reads
// ports that way); with JSON or JSON_IETF each node the path names is one
// Update holding its subtree (a bare value for a leaf). Errors: a malformed
// path gives INVALID_ARGUMENT, a path outside the served schema
// UNIMPLEMENTED, a path with no data (an unknown interface) NOT_FOUND, an
// unsupported encoding UNIMPLEMENTED.
func (s *Server) Get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	resp, err := s.get(ctx, req)
	return resp, toStatus(err)
}

// selection is what one requested path selects from a snapshot.
type selection struct {
	pat    pattern
	leaves []selectedLeaf
}

type selectedLeaf struct {
	port *portView
	leaf *leafDef
}

func (s *Server) get(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	if err := s.checkTarget(req.GetPrefix()); err != nil {
		return nil, err
	}
	enc := req.GetEncoding()
	if !encodingSupported(enc) {
		return nil, fmt.Errorf("%w: encoding %v is unsupported (use JSON, JSON_IETF or PROTO)", errUnsupported, enc)
	}
	if len(req.GetUseModels()) > 0 {
		if err := checkModels(req.GetUseModels()); err != nil {
			return nil, err
		}
	}
	pats := make([]pattern, 0, len(req.GetPath()))
	for _, p := range req.GetPath() {
		pat, err := parsePattern(req.GetPrefix(), p)
		if err != nil {
			return nil, err
		}
		if ls, _ := schemaLeaves(pat); len(ls) == 0 {
			return nil, fmt.Errorf("%w: path %s is not in the served schema (/interfaces/interface[name=*]/...)", errUnsupported, joinForMessage(req.GetPrefix(), p))
		}
		pats = append(pats, pat)
	}
	snap, err := s.pub.refresh(ctx)
	if err != nil {
		return nil, err
	}
	resp := &gpb.GetResponse{}
	for i, pat := range pats {
		sel := selectLeaves(snap, pat, req.GetType())
		if len(sel.leaves) == 0 && !anyPortMatches(snap, pat) {
			return nil, fmt.Errorf("%w: nothing at %s", errNotFound, joinForMessage(req.GetPrefix(), req.GetPath()[i]))
		}
		n := &gpb.Notification{Timestamp: snap.ts}
		if t := req.GetPrefix().GetTarget(); t != "" {
			n.Prefix = &gpb.Path{Target: t}
		}
		var err error
		if enc == gpb.Encoding_PROTO {
			n.Update, err = protoUpdates(sel)
		} else {
			n.Update, err = jsonUpdates(sel, enc == gpb.Encoding_JSON_IETF)
		}
		if err != nil {
			return nil, err
		}
		resp.Notification = append(resp.Notification, n)
	}
	return resp, nil
}

// selectLeaves returns the leaves of snap that pat selects and that are of
// the requested data type, ports by name, leaves in schema order.
func selectLeaves(snap *snapshot, pat pattern, typ gpb.GetRequest_DataType) selection {
	sel := selection{pat: pat}
	for i := range snap.ports {
		pv := &snap.ports[i]
		for j := range schema {
			l := &schema[j]
			if !ofType(l, typ) {
				continue
			}
			if ok, _ := matchPath(pat, leafSegs(pv.Name, l), false); ok {
				sel.leaves = append(sel.leaves, selectedLeaf{port: pv, leaf: l})
			}
		}
	}
	return sel
}

// anyPortMatches reports whether pat selects some leaf of some port,
// whatever its type (so a type filter that leaves nothing is not a
// NOT_FOUND).
func anyPortMatches(snap *snapshot, pat pattern) bool {
	return len(selectLeaves(snap, pat, gpb.GetRequest_ALL).leaves) > 0
}

// ofType: CONFIG is config true, STATE config false, OPERATIONAL the
// config-false leaves that are not mirrors of configuration (gNMI spec
// 3.3.1).
func ofType(l *leafDef, typ gpb.GetRequest_DataType) bool {
	switch typ {
	case gpb.GetRequest_CONFIG:
		return l.config
	case gpb.GetRequest_STATE:
		return !l.config
	case gpb.GetRequest_OPERATIONAL:
		return l.operational
	default:
		return true
	}
}

func protoUpdates(sel selection) ([]*gpb.Update, error) {
	ups := make([]*gpb.Update, 0, len(sel.leaves))
	for _, sl := range sel.leaves {
		tv, err := value.FromScalar(sl.leaf.get(&sl.port.PortState, sl.port.lastChange))
		if err != nil {
			return nil, fmt.Errorf("port %q leaf %v: %w", sl.port.Name, sl.leaf.rel, err)
		}
		ups = append(ups, &gpb.Update{Path: segsPath(leafSegs(sl.port.Name, sl.leaf)), Val: tv})
	}
	return ups, nil
}

// checkModels accepts use_models naming served modules only (gNMI spec
// 2.6): the agent cannot narrow its answers to other modules.
func checkModels(ms []*gpb.ModelData) error {
	for _, m := range ms {
		served := false
		for _, s := range Models {
			if m.GetName() == s.Name {
				served = true
			}
		}
		if !served {
			return fmt.Errorf("%w: model %q is not served (served: %s, %s)", errUnsupported, m.GetName(), moduleInterfaces, moduleP4RT)
		}
	}
	return nil
}
