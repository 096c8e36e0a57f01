package gnmi

import (
	"context"
	"errors"
	"fmt"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/value"
)

// Set changes config/enabled of interfaces (gNMI spec 3.4), as one
// transaction: deletes, then replaces, then updates, each in order;
// everything is checked before anything is applied, and if the backend
// fails part way the ports already changed are set back.
//
//   - update and replace take /interfaces/interface[name=X]/config/enabled
//     with a bool_val. Any other value type is INVALID_ARGUMENT naming the
//     path and the type: Stratum reads bool_val() of whatever arrives, so
//     a string_val "true" silently disables the port there; the agent
//     refuses it instead. A wildcard is INVALID_ARGUMENT, an unknown
//     interface NOT_FOUND, another leaf of the schema INVALID_ARGUMENT
//     (read-only), a path outside the schema NOT_FOUND.
//   - delete of config/enabled, or of a node above it (config, the
//     interface, /interfaces, wildcards allowed), resets enabled to its
//     default, true. Deleting what does not exist succeeds (spec 3.4.6).
//   - union_replace is UNIMPLEMENTED.
func (s *Server) Set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	resp, err := s.set(ctx, req)
	return resp, toStatus(err)
}

func (s *Server) set(ctx context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	if err := s.checkTarget(req.GetPrefix()); err != nil {
		return nil, err
	}
	if len(req.GetUnionReplace()) > 0 {
		return nil, fmt.Errorf("%w: union_replace is not supported", errUnsupported)
	}
	s.setMu.Lock()
	defer s.setMu.Unlock()
	snap, err := s.pub.refresh(ctx)
	if err != nil {
		return nil, err
	}
	desired := map[string]bool{} // the final enabled state of each touched port
	var order []string
	want := func(name string, enabled bool) {
		if _, ok := desired[name]; !ok {
			order = append(order, name)
		}
		desired[name] = enabled
	}
	resp := &gpb.SetResponse{Prefix: req.GetPrefix()}
	for _, p := range req.GetDelete() {
		names, err := s.deleteTargets(snap, req.GetPrefix(), p)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			want(n, true)
		}
		resp.Response = append(resp.Response, &gpb.UpdateResult{Path: p, Op: gpb.UpdateResult_DELETE})
	}
	for _, group := range []struct {
		ups []*gpb.Update
		op  gpb.UpdateResult_Operation
	}{{req.GetReplace(), gpb.UpdateResult_REPLACE}, {req.GetUpdate(), gpb.UpdateResult_UPDATE}} {
		for _, u := range group.ups {
			name, enabled, err := s.enabledUpdate(snap, req.GetPrefix(), u)
			if err != nil {
				return nil, err
			}
			want(name, enabled)
			resp.Response = append(resp.Response, &gpb.UpdateResult{Path: u.GetPath(), Op: group.op})
		}
	}
	if err := s.apply(ctx, snap, order, desired); err != nil {
		return nil, err
	}
	resp.Timestamp = time.Now().UnixNano()
	if _, err := s.pub.refresh(ctx); err != nil {
		s.opts.Logger.Warn("gnmi: reading ports after Set", "err", err)
	}
	return resp, nil
}

// enabledUpdate checks an update or replace and returns what it sets.
func (s *Server) enabledUpdate(snap *snapshot, prefix *gpb.Path, u *gpb.Update) (string, bool, error) {
	full := joinForMessage(prefix, u.GetPath())
	pat, err := parsePattern(prefix, u.GetPath())
	if err != nil {
		return "", false, err
	}
	if pat.hasWildcard() {
		return "", false, fmt.Errorf("%w: path %s has a wildcard; update and replace need one interface", errInvalid, full)
	}
	leaves, names := schemaLeaves(pat)
	switch {
	case len(leaves) == 0:
		return "", false, fmt.Errorf("%w: path %s is not in the schema (settable: /interfaces/interface[name=X]/config/enabled)", errNotFound, full)
	case len(leaves) > 1 || leaves[0] != enabledLeaf || len(pat) != 2+len(enabledLeaf.rel):
		return "", false, fmt.Errorf("%w: path %s is not settable; only /interfaces/interface[name=X]/config/enabled is", errInvalid, full)
	}
	name := names[0]
	if snap.port(name) == nil {
		return "", false, fmt.Errorf("%w: interface %q (path %s)", errNotFound, name, full)
	}
	b, ok := u.GetVal().GetValue().(*gpb.TypedValue_BoolVal)
	if !ok {
		return "", false, fmt.Errorf("%w: path %s takes a bool_val, got %s", errInvalid, full, describeValue(u.GetVal()))
	}
	return name, b.BoolVal, nil
}

// describeValue names a TypedValue's type and value for error messages.
func describeValue(tv *gpb.TypedValue) string {
	if tv == nil || tv.GetValue() == nil {
		return "no value"
	}
	kind := fmt.Sprintf("%T", tv.GetValue())
	switch v := tv.GetValue().(type) {
	case *gpb.TypedValue_StringVal:
		kind = fmt.Sprintf("string_val %q", v.StringVal)
	case *gpb.TypedValue_JsonVal:
		kind = fmt.Sprintf("json_val %s", v.JsonVal)
	case *gpb.TypedValue_JsonIetfVal:
		kind = fmt.Sprintf("json_ietf_val %s", v.JsonIetfVal)
	case *gpb.TypedValue_IntVal:
		kind = fmt.Sprintf("int_val %d", v.IntVal)
	case *gpb.TypedValue_UintVal:
		kind = fmt.Sprintf("uint_val %d", v.UintVal)
	default:
		if sc, err := value.ToScalar(tv); err == nil {
			kind = fmt.Sprintf("%T %v", tv.GetValue(), sc)
		}
	}
	return kind
}

// deleteTargets returns the interfaces whose config/enabled lies under a
// delete path.
func (s *Server) deleteTargets(snap *snapshot, prefix, p *gpb.Path) ([]string, error) {
	full := joinForMessage(prefix, p)
	pat, err := parsePattern(prefix, p)
	if err != nil {
		return nil, err
	}
	leaves, _ := schemaLeaves(pat)
	if len(leaves) == 0 {
		return nil, fmt.Errorf("%w: path %s is not in the schema", errNotFound, full)
	}
	coversEnabled, coversConfig := false, false
	for _, l := range leaves {
		coversEnabled = coversEnabled || l == enabledLeaf
		coversConfig = coversConfig || l.config
	}
	if !coversEnabled {
		if coversConfig {
			return nil, fmt.Errorf("%w: path %s is the interface name, which cannot be deleted", errInvalid, full)
		}
		return nil, fmt.Errorf("%w: path %s is read-only state", errInvalid, full)
	}
	var names []string
	for i := range snap.ports {
		if ok, _ := matchPath(pat, leafSegs(snap.ports[i].Name, enabledLeaf), false); ok {
			names = append(names, snap.ports[i].Name)
		}
	}
	return names, nil
}

// apply sets each port in order to its desired state, undoing on failure.
func (s *Server) apply(ctx context.Context, snap *snapshot, order []string, desired map[string]bool) error {
	type change struct {
		name string
		was  bool
	}
	var done []change
	for _, name := range order {
		pv := snap.port(name)
		if pv == nil || pv.Enabled == desired[name] {
			continue
		}
		if err := s.backend.SetEnabled(ctx, name, desired[name]); err != nil {
			var undo []error
			for i := len(done) - 1; i >= 0; i-- {
				if uerr := s.backend.SetEnabled(context.WithoutCancel(ctx), done[i].name, done[i].was); uerr != nil {
					undo = append(undo, fmt.Errorf("restore %s enabled=%v: %w", done[i].name, done[i].was, uerr))
				}
			}
			if len(undo) > 0 {
				return fmt.Errorf("%w: set %s enabled=%v: %w; rollback incomplete: %w", errAborted, name, desired[name], err, errors.Join(undo...))
			}
			if errors.Is(err, ErrUnknownPort) {
				return fmt.Errorf("set %s enabled=%v: %w (transaction rolled back)", name, desired[name], err)
			}
			return fmt.Errorf("%w: set %s enabled=%v: %w (transaction rolled back)", errAborted, name, desired[name], err)
		}
		done = append(done, change{name: name, was: pv.Enabled})
	}
	return nil
}
