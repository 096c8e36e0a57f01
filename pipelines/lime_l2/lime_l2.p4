/*
 * lime_l2.p4: lime's own pipeline, a VLAN-aware learning Ethernet switch for
 * the v1model architecture (bmv2 simple_switch_grpc and lime's simulator).
 *
 * It is small on purpose and holds every kind of state a live migration must
 * carry: exact, ternary and const tables, a mutable default entry, idle
 * timeouts, an action selector, indirect and direct counters, a meter,
 * registers, multicast groups, a clone session, a digest and packet I/O.
 * README.md beside this file lists every object and how a migration treats it.
 *
 * Compile (from this folder, with the p4c shared beside the checkout):
 *   ../../../shared/tools/p4c/bin/p4c-bm2-ss --arch v1model --p4runtime-files lime_l2.p4info.txt -o lime_l2.json lime_l2.p4
 *
 * Ports are PortId_t, bmv2's 9-bit data-plane port numbers, wherever a
 * port appears (match fields, action parameters, packet-in/out metadata,
 * the digest). It is a plain typedef, not a @p4runtime_translation type:
 * simple_switch_grpc (PI) translates no ports, takes the P4Info's width for
 * the data plane's, and refuses a digest with a translated member.
 */

#include <core.p4>
#include <v1model.p4>

/* ---------------------------------------------------------------- types -- */

typedef bit<9> PortId_t;

typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef bit<12> vlan_id_t;
typedef bit<8>  trunk_id_t;  // 0 means "not a trunk"
typedef bit<10> host_id_t;   // index into host_meter

/* ------------------------------------------------------------ constants -- */

// The CPU port of bmv2 (simple_switch_grpc --cpu-port 255); cpu_port.txt
// beside this file says the same for tools.
const bit<9>    CPU_PORT       = 255;
// Clone session that the ACL's mirror action copies packets to.
const bit<32>   MIRROR_SESSION = 100;
// VLAN of a port that has no port_vlan entry.
const vlan_id_t DEFAULT_VLAN   = 1;

const bit<32> PORT_SLOTS = 512;   // one cell per 9-bit data-plane port
const bit<32> HOST_SLOTS = 1024;  // one meter per host_id_t
const bit<32> FLOW_SLOTS = 1024;  // cells of the flow-hash register

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<16> ETHERTYPE_VLAN = 0x8100;
const bit<16> ETHERTYPE_LLDP = 0x88cc;
const bit<16> ETHERTYPE_BDDP = 0x8942;

// standard_metadata.instance_type of an ingress-to-egress clone in bmv2
// (PKT_INSTANCE_TYPE_INGRESS_CLONE in simple_switch.h).
const bit<32> INSTANCE_TYPE_INGRESS_CLONE = 1;

/* -------------------------------------------------------------- headers -- */

// Prepended to packets sent to the controller (egress_port == CPU_PORT).
@controller_header("packet_in")
header packet_in_t {
    PortId_t ingress_port;
    bit<7>   _pad;
}

// Prepended by the controller to packets it sends out (ingress_port == CPU_PORT).
@controller_header("packet_out")
header packet_out_t {
    PortId_t egress_port;
    bit<7>   _pad;
}

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

// 802.1Q tag; present on trunk ports only.
header vlan_t {
    bit<3>    pcp;
    bit<1>    dei;
    vlan_id_t vid;
    bit<16>   ether_type;
}

header ipv4_t {
    bit<4>      version;
    bit<4>      ihl;
    bit<8>      diffserv;
    bit<16>     total_len;
    bit<16>     identification;
    bit<3>      flags;
    bit<13>     frag_offset;
    bit<8>      ttl;
    bit<8>      protocol;
    bit<16>     hdr_checksum;
    ipv4_addr_t src_addr;
    ipv4_addr_t dst_addr;
}

struct headers_t {
    packet_out_t packet_out;
    packet_in_t  packet_in;
    ethernet_t   ethernet;
    vlan_t       vlan;
    ipv4_t       ipv4;
}

// Sent to the controller when a source MAC is unknown or has moved.
struct mac_learn_digest_t {
    mac_addr_t src_mac;
    PortId_t   ingress_port;
    vlan_id_t  vid;
}

struct metadata_t {
    PortId_t   ingress_port;   // standard_metadata.ingress_port, port-typed for keys
    PortId_t   egress_port;    // standard_metadata.egress_port, port-typed for keys
    bit<16>    ether_type;     // the EtherType after any VLAN tag
    vlan_id_t  vid;            // the VLAN the packet is switched in
    trunk_id_t in_trunk;       // trunk the packet came from (0: an access port)
    trunk_id_t out_trunk;      // trunk dmac sends the packet to (0: none)
    bit<9>     learned_port;   // port smac has for the source MAC
    bit<2>     color;          // host_meter's verdict
    bit<32>    flow_slot;      // index into flow_packets
    bit<1>     from_cpu;       // a packet-out
    bit<1>     egress_tagged;  // egress_vlan: send with an 802.1Q tag
    mac_learn_digest_t learn_digest;
}

/* --------------------------------------------------------------- parser -- */

parser LimeParser(packet_in packet,
                  out headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    state start {
        transition select(standard_metadata.ingress_port) {
            CPU_PORT: parse_packet_out;
            default: parse_ethernet;
        }
    }
    state parse_packet_out {
        packet.extract(hdr.packet_out);
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        meta.ether_type = hdr.ethernet.ether_type;
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_VLAN: parse_vlan;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_vlan {
        packet.extract(hdr.vlan);
        meta.ether_type = hdr.vlan.ether_type;
        transition select(hdr.vlan.ether_type) {
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition accept;
    }
}

control LimeVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

/* -------------------------------------------------------------- ingress -- */

control ingress(inout headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {

    // Per-port state, indexed by the data-plane port number.
    counter(PORT_SLOTS, CounterType.packets_and_bytes) rx_port_counter;
    register<bit<48>>(PORT_SLOTS) port_last_seen;   // ingress timestamp (us)
    register<bit<32>>(PORT_SLOTS) port_rx_packets;  // packets received
    // Per-flow state, indexed by a hash of (source MAC, destination MAC, VLAN).
    register<bit<32>>(FLOW_SLOTS) flow_packets;
    // Per-host rate limit, indexed by the host id that smac gives the source.
    meter(HOST_SLOTS, MeterType.bytes) host_meter;
    // Per-entry traffic of dmac.
    direct_counter(CounterType.packets_and_bytes) dmac_counter;
    // Spreads traffic sent to a trunk over its member ports.
    action_selector(HashAlgorithm.crc16, 32w1024, 32w14) trunk_selector;

    action drop() {
        mark_to_drop(standard_metadata);
    }

    // Send the packet to the controller instead of forwarding it.
    action punt() {
        standard_metadata.egress_spec = CPU_PORT;
    }

    // Helpers called from apply, kept out of the P4Info with @hidden: the
    // controller has no use for them.
    @hidden action update_port_state() {
        bit<32> packets;
        port_rx_packets.read(packets, (bit<32>)standard_metadata.ingress_port);
        port_rx_packets.write((bit<32>)standard_metadata.ingress_port, packets + 1);
        port_last_seen.write((bit<32>)standard_metadata.ingress_port,
                             standard_metadata.ingress_global_timestamp);
    }

    @hidden action update_flow_state() {
        bit<32> packets;
        hash(meta.flow_slot, HashAlgorithm.crc32, 32w0,
             { hdr.ethernet.src_addr, hdr.ethernet.dst_addr, meta.vid }, FLOW_SLOTS);
        flow_packets.read(packets, meta.flow_slot);
        flow_packets.write(meta.flow_slot, packets + 1);
    }

    /* port_vlan: what a port is. An access port carries untagged frames of
     * one VLAN; a trunk port carries tagged frames and belongs to a trunk. */
    action access_port(vlan_id_t vid) {
        meta.vid = vid;
        meta.in_trunk = 0;
    }
    action trunk_port(trunk_id_t trunk_id) {
        meta.in_trunk = trunk_id;
    }
    table port_vlan {
        key = {
            meta.ingress_port: exact @name("ingress_port");
        }
        actions = {
            access_port;
            trunk_port;
        }
        default_action = access_port(DEFAULT_VLAN);
        size = 512;
    }

    /* control_frames: link discovery frames always go to the controller. */
    table control_frames {
        key = {
            meta.ether_type: exact @name("ether_type");
        }
        actions = {
            punt;
            NoAction;
        }
        const entries = {
            ETHERTYPE_LLDP: punt();
            ETHERTYPE_BDDP: punt();
        }
        const default_action = NoAction();
        size = 4;
    }

    /* smac: source MACs the controller has learned. A miss, or a MAC seen on
     * another port than the one learned, sends a digest. */
    action learn() {
        meta.learn_digest.src_mac = hdr.ethernet.src_addr;
        meta.learn_digest.ingress_port = meta.ingress_port;
        meta.learn_digest.vid = meta.vid;
        digest<mac_learn_digest_t>(1, meta.learn_digest);
    }
    action known_host(host_id_t host, PortId_t port) {
        meta.learned_port = (bit<9>)port;
        host_meter.execute_meter((bit<32>)host, meta.color);
    }
    table smac {
        key = {
            meta.vid: exact @name("vid");
            hdr.ethernet.src_addr: exact @name("src_mac");
        }
        actions = {
            known_host;
            learn;
        }
        default_action = learn();
        support_timeout = true;
        size = 4096;
    }

    /* acl: ternary policy with priorities. */
    action permit() { }
    action mirror() {
        clone(CloneType.I2E, MIRROR_SESSION);
    }
    table acl {
        key = {
            meta.ingress_port: ternary @name("ingress_port");
            meta.vid: ternary @name("vid");
            hdr.ethernet.src_addr: ternary @name("src_mac");
            hdr.ethernet.dst_addr: ternary @name("dst_mac");
            meta.ether_type: ternary @name("ether_type");
            hdr.ipv4.src_addr: ternary @name("ipv4_src");
            hdr.ipv4.dst_addr: ternary @name("ipv4_dst");
            hdr.ipv4.protocol: ternary @name("ip_proto");
        }
        actions = {
            permit;
            drop;
            punt;
            mirror;
        }
        default_action = permit();
        size = 256;
    }

    /* dmac: where a destination MAC lives. A miss floods the VLAN through
     * the multicast group whose id is the VLAN id. */
    action forward(PortId_t port) {
        standard_metadata.egress_spec = (bit<9>)port;
    }
    action forward_to_trunk(trunk_id_t trunk_id) {
        meta.out_trunk = trunk_id;
    }
    action flood() {
        standard_metadata.mcast_grp = (bit<16>)meta.vid;
    }
    table dmac {
        key = {
            meta.vid: exact @name("vid");
            hdr.ethernet.dst_addr: exact @name("dst_mac");
        }
        actions = {
            forward;
            forward_to_trunk;
            flood;
            drop;
        }
        default_action = flood();
        counters = dmac_counter;
        size = 4096;
    }

    /* trunk: picks one member port of a trunk (members and groups of
     * trunk_selector). */
    action set_trunk_member(PortId_t port) {
        standard_metadata.egress_spec = (bit<9>)port;
    }
    table trunk {
        key = {
            meta.out_trunk: exact @name("trunk_id");
            hdr.ethernet.src_addr: selector;
            hdr.ethernet.dst_addr: selector;
            meta.vid: selector;
        }
        actions = {
            set_trunk_member;
            NoAction;
        }
        const default_action = NoAction();
        implementation = trunk_selector;
        size = 64;
    }

    apply {
        if (hdr.packet_out.isValid()) {
            // The controller chose the port: skip the switching pipeline.
            standard_metadata.egress_spec = (bit<9>)hdr.packet_out.egress_port;
            hdr.packet_out.setInvalid();
            meta.from_cpu = 1;
            exit;
        }
        // A packet leaves only where a table sends it.
        mark_to_drop(standard_metadata);
        meta.ingress_port = (PortId_t)standard_metadata.ingress_port;
        rx_port_counter.count((bit<32>)standard_metadata.ingress_port);
        update_port_state();

        port_vlan.apply();
        // Link discovery first: LLDP between switches crosses trunk links
        // untagged.
        if (control_frames.apply().hit) {
            exit;
        }
        if (meta.in_trunk != 0) {
            if (!hdr.vlan.isValid()) {
                exit;  // untagged frame on a trunk port
            }
            meta.vid = hdr.vlan.vid;
        } else if (hdr.vlan.isValid()) {
            exit;  // tagged frame on an access port
        }
        update_flow_state();

        switch (smac.apply().action_run) {
            known_host: {
                if (meta.learned_port != standard_metadata.ingress_port) {
                    learn();  // the host moved
                }
            }
        }
        if (meta.color == V1MODEL_METER_COLOR_RED) {
            exit;  // over the host's rate
        }

        switch (acl.apply().action_run) {
            drop: { exit; }
            punt: { exit; }
        }

        dmac.apply();
        if (meta.out_trunk != 0) {
            // Never send a packet back into the trunk it came from.
            if (meta.out_trunk != meta.in_trunk) {
                trunk.apply();
            }
        }
    }
}

/* --------------------------------------------------------------- egress -- */

control egress(inout headers_t hdr,
               inout metadata_t meta,
               inout standard_metadata_t standard_metadata) {

    counter(PORT_SLOTS, CounterType.packets_and_bytes) tx_port_counter;

    // Called from apply only: kept out of the P4Info.
    @hidden action drop() {
        mark_to_drop(standard_metadata);
    }

    /* egress_vlan: whether a port sends tagged (trunk) or untagged frames. */
    action tagged() {
        meta.egress_tagged = 1;
    }
    action untagged() {
        meta.egress_tagged = 0;
    }
    table egress_vlan {
        key = {
            meta.egress_port: exact @name("egress_port");
        }
        actions = {
            tagged;
            untagged;
        }
        default_action = untagged();
        size = 512;
    }

    apply {
        if (standard_metadata.instance_type == INSTANCE_TYPE_INGRESS_CLONE) {
            // A mirrored copy leaves as it came in.
            tx_port_counter.count((bit<32>)standard_metadata.egress_port);
            exit;
        }
        if (standard_metadata.egress_port == CPU_PORT) {
            tx_port_counter.count((bit<32>)standard_metadata.egress_port);
            hdr.packet_in.setValid();
            hdr.packet_in.ingress_port = (PortId_t)standard_metadata.ingress_port;
            hdr.packet_in._pad = 0;
            exit;
        }
        if (meta.from_cpu == 1) {
            tx_port_counter.count((bit<32>)standard_metadata.egress_port);
            exit;
        }
        // Split horizon: never back out of the ingress port, and never flood
        // from a trunk back into it (flood replicas towards trunk T carry
        // egress_rid == T).
        if (standard_metadata.egress_port == standard_metadata.ingress_port) {
            drop();
            exit;
        }
        if (meta.in_trunk != 0 && standard_metadata.egress_rid == (bit<16>)meta.in_trunk) {
            drop();
            exit;
        }
        tx_port_counter.count((bit<32>)standard_metadata.egress_port);

        meta.egress_port = (PortId_t)standard_metadata.egress_port;
        egress_vlan.apply();
        if (meta.egress_tagged == 1) {
            if (!hdr.vlan.isValid()) {
                hdr.vlan.setValid();
                hdr.vlan.pcp = 0;
                hdr.vlan.dei = 0;
                hdr.vlan.ether_type = hdr.ethernet.ether_type;
                hdr.ethernet.ether_type = ETHERTYPE_VLAN;
            }
            hdr.vlan.vid = meta.vid;
        } else if (hdr.vlan.isValid()) {
            hdr.ethernet.ether_type = hdr.vlan.ether_type;
            hdr.vlan.setInvalid();
        }
    }
}

control LimeComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control LimeDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.packet_in);
        packet.emit(hdr.ethernet);
        packet.emit(hdr.vlan);
        packet.emit(hdr.ipv4);
    }
}

V1Switch(LimeParser(),
         LimeVerifyChecksum(),
         ingress(),
         egress(),
         LimeComputeChecksum(),
         LimeDeparser()) main;
