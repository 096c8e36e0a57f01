package pipelines

// LimeL2 names lime's own program, pipelines/lime_l2: a VLAN-aware learning
// switch that holds every kind of state a migration carries. Its objects are
// described in lime_l2/README.md; the L2* constants are their P4Info names.
const LimeL2 = "lime_l2"

// Tables of lime_l2.
const (
	L2PortVLAN      = "ingress.port_vlan"      // ingress_port -> access_port(vid) | trunk_port(trunk_id)
	L2ControlFrames = "ingress.control_frames" // const: LLDP/BDDP ether_type -> punt
	L2SMAC          = "ingress.smac"           // vid, src_mac -> known_host(host, port) | learn; idle timeout
	L2ACL           = "ingress.acl"            // ternary, priorities -> permit | drop | punt | mirror
	L2DMAC          = "ingress.dmac"           // vid, dst_mac -> forward(port) | forward_to_trunk(trunk_id) | flood | drop
	L2Trunk         = "ingress.trunk"          // trunk_id (+ selector) -> set_trunk_member(port), via L2TrunkSelector
	L2EgressVLAN    = "egress.egress_vlan"     // egress_port -> tagged | untagged
)

// Actions of lime_l2.
const (
	L2AccessPort     = "ingress.access_port"      // param vid
	L2TrunkPort      = "ingress.trunk_port"       // param trunk_id
	L2Punt           = "ingress.punt"             // to the controller
	L2Learn          = "ingress.learn"            // sends the learning digest
	L2KnownHost      = "ingress.known_host"       // params host, port
	L2Permit         = "ingress.permit"           // acl
	L2Drop           = "ingress.drop"             // acl, dmac
	L2Mirror         = "ingress.mirror"           // acl: clone to L2MirrorSession
	L2Forward        = "ingress.forward"          // param port
	L2ForwardToTrunk = "ingress.forward_to_trunk" // param trunk_id
	L2Flood          = "ingress.flood"            // multicast group id = VLAN id
	L2SetTrunkMember = "ingress.set_trunk_member" // param port
	L2Tagged         = "egress.tagged"
	L2Untagged       = "egress.untagged"
	L2NoAction       = "NoAction"
)

// Action profile, counters, meter, registers, digest and controller headers
// of lime_l2.
const (
	L2TrunkSelector = "ingress.trunk_selector"  // action selector of L2Trunk
	L2RxPortCounter = "ingress.rx_port_counter" // indirect, index = data-plane ingress port
	L2TxPortCounter = "egress.tx_port_counter"  // indirect, index = data-plane egress port
	L2DMACCounter   = "ingress.dmac_counter"    // direct, on L2DMAC
	L2HostMeter     = "ingress.host_meter"      // indirect, index = host id from L2SMAC
	L2PortLastSeen  = "ingress.port_last_seen"  // register bit<48>, index = data-plane ingress port
	L2PortRxPackets = "ingress.port_rx_packets" // register bit<32>, index = data-plane ingress port
	L2FlowPackets   = "ingress.flow_packets"    // register bit<32>, index = flow hash
	L2LearnDigest   = "mac_learn_digest_t"      // src_mac, ingress_port, vid
	L2PacketIn      = "packet_in"               // ingress_port, _pad
	L2PacketOut     = "packet_out"              // egress_port, _pad
)

// Numbers built into lime_l2.
const (
	L2CPUPort       = 255 // data-plane CPU port
	L2MirrorSession = 100 // clone session of L2Mirror
	L2DefaultVLAN   = 1   // VLAN of a port without a L2PortVLAN entry
	L2PortSlots     = 512 // cells of the per-port counters and registers
	L2HostSlots     = 1024
	L2FlowSlots     = 1024
)
