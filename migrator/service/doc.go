// Package service is what lime proxy runs beside the proxy: the migrations
// of its devices, started, aborted and retried over an admin HTTP API,
// journalled so that a restarted proxy resumes them, and the figures of
// the proxy and the migrations as Prometheus metrics.
//
// The admin API (JSON):
//
//	GET  /v1/status                  every device: its devices, mode, figures and migration
//	POST /v1/migrate                 start a migration (body: a Spec)
//	POST /v1/devices/{id}/abort      undo a migration that has not cut over
//	POST /v1/devices/{id}/retry      run a failed step again
//	GET  /metrics                    Prometheus metrics
package service
