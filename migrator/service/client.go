package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/lime-p4/lime/migrator/plan"
)

// Client talks to a lime proxy's admin API.
type Client struct {
	// Addr is the API's address, host:port or an http:// or https:// URL.
	Addr string
	// Token is sent as the bearer token ("" for none).
	Token string
	// HTTPS reaches a host:port Addr over TLS (HTTP's TLS config says how).
	HTTPS bool
	HTTP  *http.Client // nil: http.DefaultClient
}

func (c *Client) url(path string) string {
	if strings.HasPrefix(c.Addr, "http://") || strings.HasPrefix(c.Addr, "https://") {
		return strings.TrimSuffix(c.Addr, "/") + path
	}
	if c.HTTPS {
		return "https://" + c.Addr + path
	}
	return "http://" + c.Addr + path
}

func (c *Client) do(ctx context.Context, method, path string, body any) ([]DeviceStatus, error) {
	var out []DeviceStatus
	err := c.call(ctx, method, path, body, &out)
	return out, err
}

// call sends body (JSON, nil for none) and decodes the answer into out.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("lime proxy admin API at %s: %w", c.Addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e Error
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			if resp.StatusCode == http.StatusNotFound && e.Error == ErrNoPlan.Error() {
				return ErrNoPlan
			}
			return fmt.Errorf("lime proxy: %s", e.Error)
		}
		return fmt.Errorf("lime proxy admin API: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("lime proxy admin API: %w", err)
	}
	return nil
}

// Status reads every device's status.
func (c *Client) Status(ctx context.Context) ([]DeviceStatus, error) {
	return c.do(ctx, http.MethodGet, "/v1/status", nil)
}

// Migrate starts a migration.
func (c *Client) Migrate(ctx context.Context, spec Spec) ([]DeviceStatus, error) {
	return c.do(ctx, http.MethodPost, "/v1/migrate", spec)
}

// Abort undoes device's migration.
func (c *Client) Abort(ctx context.Context, device uint64) ([]DeviceStatus, error) {
	return c.do(ctx, http.MethodPost, fmt.Sprintf("/v1/devices/%d/abort", device), nil)
}

// Retry runs device's failed step again.
func (c *Client) Retry(ctx context.Context, device uint64) ([]DeviceStatus, error) {
	return c.do(ctx, http.MethodPost, fmt.Sprintf("/v1/devices/%d/retry", device), nil)
}

// Of picks device's status out of a list.
func Of(sts []DeviceStatus, device uint64) (DeviceStatus, bool) {
	for _, s := range sts {
		if s.Device == device {
			return s, true
		}
	}
	return DeviceStatus{}, false
}

// StartPlan starts a network migration.
func (c *Client) StartPlan(ctx context.Context, p *plan.Plan) (*PlanStatus, error) {
	var st PlanStatus
	return &st, c.call(ctx, http.MethodPost, "/v1/plan", p, &st)
}

// Plan reads where the network migration stands (ErrNoPlan: none).
func (c *Client) Plan(ctx context.Context) (*PlanStatus, error) {
	var st PlanStatus
	return &st, c.call(ctx, http.MethodGet, "/v1/plan", nil, &st)
}

// AbortPlan undoes the network migration.
func (c *Client) AbortPlan(ctx context.Context) (*PlanStatus, error) {
	var st PlanStatus
	return &st, c.call(ctx, http.MethodPost, "/v1/plan/abort", nil, &st)
}

// RetryPlan runs the network migration's failed tasks again.
func (c *Client) RetryPlan(ctx context.Context) (*PlanStatus, error) {
	var st PlanStatus
	return &st, c.call(ctx, http.MethodPost, "/v1/plan/retry", nil, &st)
}
