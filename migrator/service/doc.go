// Package service is what lime proxy runs beside the proxy: the migrations
// of its devices, started, aborted and retried over an admin HTTP API,
// journalled so that a restarted proxy resumes them, and the figures of
// the proxy and the migrations as Prometheus metrics.
//
// A network migration (package plan) runs its devices' migrations as one
// plan, at most one at a time; its devices' status shows beside the
// others'.
//
// The admin API (JSON):
//
//	GET  /v1/status                  every device: its devices, mode, figures and migration
//	POST /v1/migrate                 start a migration (body: a Spec)
//	POST /v1/devices/{id}/abort      undo a migration that has not cut over
//	POST /v1/devices/{id}/retry      run a failed step again
//	POST /v1/plan                    start a network migration (body: a plan.Plan)
//	GET  /v1/plan                    where it stands: by device, by host group
//	POST /v1/plan/abort              undo it (before any device cut over)
//	POST /v1/plan/retry              run its failed tasks again
//	GET  /metrics                    Prometheus metrics
package service
