package pipelines

// LimeRouter names lime's program for a network of switches,
// pipelines/lime_router: IPv4 routes between hosts across switches, and a
// stateful firewall at the edge of guarded hosts whose register values
// decide what passes (lime_router/README.md). The Router* constants are its
// P4Info names.
const LimeRouter = "lime_router"

// Objects of lime_router.
const (
	RouterRoutes     = "ingress.routes"      // dst_addr (LPM) -> forward(dmac, port) | unroutable; direct counter RouterRouteHits
	RouterGuardIn    = "ingress.guard_in"    // standard_metadata.ingress_port -> guarded_in | NoAction
	RouterGuardOut   = "ingress.guard_out"   // standard_metadata.egress_spec -> guarded_out | NoAction
	RouterForward    = "ingress.forward"     // params dmac (48), port (9)
	RouterUnroutable = "ingress.unroutable"  // drop, counted
	RouterGuardedIn  = "ingress.guarded_in"  // the packet enters from a guarded port
	RouterGuardedOut = "ingress.guarded_out" // the packet leaves towards a guarded port
	RouterRouteHits  = "ingress.route_hits"  // packets and bytes per route
	RouterFlows1     = "ingress.flows_1"     // bit<1>[4096]: bloom filter of open flows (crc16)
	RouterFlows2     = "ingress.flows_2"     // bit<1>[4096]: the same (crc32)
)

// RouterPortFields are the values of lime_router that are ports besides
// the standard metadata (which lime knows): lime's --port-field.
var RouterPortFields = []string{RouterForward + "/port"}
