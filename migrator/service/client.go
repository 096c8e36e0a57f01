package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client talks to a lime proxy's admin API.
type Client struct {
	// Addr is the API's address, host:port or an http:// URL.
	Addr string
	HTTP *http.Client // nil: http.DefaultClient
}

func (c *Client) url(path string) string {
	if strings.HasPrefix(c.Addr, "http://") || strings.HasPrefix(c.Addr, "https://") {
		return strings.TrimSuffix(c.Addr, "/") + path
	}
	return "http://" + c.Addr + path
}

func (c *Client) do(ctx context.Context, method, path string, body any) ([]DeviceStatus, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("lime proxy admin API at %s: %w", c.Addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e Error
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("lime proxy: %s", e.Error)
		}
		return nil, fmt.Errorf("lime proxy admin API: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var out []DeviceStatus
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("lime proxy admin API: %w", err)
	}
	return out, nil
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
