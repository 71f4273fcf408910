// IP address text <-> bytes for compact peer lists: moved down to util/ip.ts so wire (BEP 11) can share
// it; re-exported here so the tracker's imports stay as they were. Pure.
export { formatIpv4, mappedIpv6, parseIpv4, parseIpv6 } from "../util/index.ts";
