package bmv2ports

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Bounds and defaults of Options.PollInterval.
const (
	DefaultPollInterval = time.Second
	MinPollInterval     = 10 * time.Millisecond
	MaxPollInterval     = time.Minute
)

// DefaultStepTimeout bounds each Thrift call and each undo step that has no
// deadline of its own (undo runs even after the request was cancelled).
const DefaultStepTimeout = 10 * time.Second

// Options configure New.
type Options struct {
	// Ports are the switch's ports to serve; see ValidatePorts.
	Ports []Port
	// Thrift reaches bmv2's device manager, usually a *thrift.Client
	// dialled to simple_switch_grpc's --thrift-port. The caller keeps it
	// and closes it after Close.
	Thrift DevMgr
	// PollInterval is how often bm_dev_mgr_show_ports is read to notice
	// port changes made behind the agent's back (bmv2 sends no events).
	// Zero is DefaultPollInterval; otherwise it must lie within
	// [MinPollInterval, MaxPollInterval].
	PollInterval time.Duration
	// Logger receives what the backend changes and warnings (default
	// slog.Default()).
	Logger *slog.Logger
}

// check validates o and fills its defaults.
func (o *Options) check() error {
	if err := ValidatePorts(o.Ports); err != nil {
		return err
	}
	if o.Thrift == nil {
		return errors.New("bmv2ports: no Thrift client (Options.Thrift) to reach bmv2's device manager")
	}
	switch {
	case o.PollInterval == 0:
		o.PollInterval = DefaultPollInterval
	case o.PollInterval < MinPollInterval || o.PollInterval > MaxPollInterval:
		return fmt.Errorf("bmv2ports: poll interval %v outside [%v, %v]", o.PollInterval, MinPollInterval, MaxPollInterval)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}
