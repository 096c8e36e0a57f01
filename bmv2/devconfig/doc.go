// Package devconfig builds the device-config bytes that
// SetForwardingPipelineConfig carries in ForwardingPipelineConfig.p4_device_config
// for the targets lime migrates between:
//
//   - bmv2 (simple_switch_grpc): the bmv2 JSON produced by p4c, as is
//     ([BMv2], [BMv2File]);
//   - Tofino (PI's node config, as ONOS's barefoot driver sends it): the
//     pipeconf id,
//     tofino.bin and context.json, each preceded by its length as a
//     little-endian u32 ([Tofino], and its inverse [ParseTofino]).
package devconfig
