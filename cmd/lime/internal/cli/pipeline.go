package cli

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/pipelines"
)

// LoadPipeline loads the compiled program in folder dir (a --pipeline):
// its P4Info and the bmv2 JSON a switch takes, which must be there.
func LoadPipeline(dir string) (*pipelines.Program, error) {
	prog, err := pipelines.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--pipeline: %w", err)
	}
	if prog.JSON == nil {
		return nil, fmt.Errorf("--pipeline %s: no bmv2 JSON (device config) in the folder", dir)
	}
	return prog, nil
}

// SetPipeline sets (VERIFY_AND_COMMIT) the program of folder dir on the
// device, with cookie, as its primary controller; what names the device
// in errors.
func (d *DeviceFlags) SetPipeline(ctx context.Context, what, dir string, cookie uint64) error {
	prog, err := LoadPipeline(dir)
	if err != nil {
		return err
	}
	c, err := d.Dial(ctx, what)
	if err != nil {
		return err
	}
	defer c.Close()
	dctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	s, err := c.Arbitrate(dctx)
	if err != nil {
		return fmt.Errorf("%s %s: arbitration: %w", what, d.Addr, err)
	}
	defer s.Close()
	if err := c.SetPipeline(dctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, prog.P4Info, prog.JSON, cookie); err != nil {
		return fmt.Errorf("%s %s: setting the pipeline from %s: %w", what, d.Addr, dir, err)
	}
	return nil
}
