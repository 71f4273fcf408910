# A libtorrent (python3-libtorrent) seeder or leecher for the tests (test/helpers/libtorrent-peer.ts) and
# the benchmarks and network lab (scripts/bench/clients.ts). One driver for both, so the two never drift
# apart in what they switch off: DHT, LSD, UPnP, NAT-PMP and PEX are always off, uTP is off unless
# --utp-only (then TCP is off instead), and it listens on and dials from IP only (127.0.0.1 by default,
# a lab host's address in the network lab).
#
# Usage: lt-peer.py seed|seed-trusted|leech TORRENT SAVE_DIR --port PORT [--ip IP]
#                   [--encryption enabled|forced] [--utp-only] [--peer HOST:PORT ...]
#   TORRENT       a .torrent file, or for a leecher a magnet link (btih or BEP 52 btmh)
#   seed-trusted  seed without hashing the data first (seed_mode): pieces are hashed as first served
#   --encryption  enabled (default): either way; forced: pe_forced both ways, RC4 only
#   --peer        dial this peer ("[V6]:PORT" for IPv6) once ready: a leecher at once, a seeder once checked
#
# Prints one JSON line per milestone, each with "event" first and a "time" (seconds since the epoch):
#   listening {port}    the listen socket is up
#   seeding             the data is complete (a seeder: checked, or trusted)
#   ready               seeding and a tracker has answered an announce (so leechers will be given us);
#                       printed again after later answers
#   peer-alert {message}  a peer connected or disconnected
#   done, exited        a leecher has everything; then it has closed its session (announced `stopped`)
#   error {message}     a torrent, file or listen error; exit code 3
import argparse
import json
import sys
import time

import libtorrent as lt


def say(event, **fields):
    print(json.dumps({"event": event, "time": time.time(), **fields}), flush=True)


def parse_args():
    p = argparse.ArgumentParser(prog="lt-peer.py")
    p.add_argument("mode", choices=["seed", "seed-trusted", "leech"])
    p.add_argument("torrent")
    p.add_argument("save_dir")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--encryption", choices=["enabled", "forced"], default="enabled")
    p.add_argument("--utp-only", action="store_true")
    p.add_argument("--peer", action="append", default=[])
    return p.parse_args()


def main():
    args = parse_args()
    leech = args.mode == "leech"
    forced = args.encryption == "forced"
    ip = args.ip
    listen = ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, args.port)
    # Settings at construction: applied later, DHT/LSD would already have started.
    settings = {
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": args.utp_only,
        "enable_outgoing_utp": args.utp_only,
        "enable_incoming_tcp": not args.utp_only,
        "enable_outgoing_tcp": not args.utp_only,
        "listen_interfaces": listen,
        "outgoing_interfaces": ip,
        "allow_multiple_connections_per_ip": True,
        # The `stopped` announce on exit must not hold a finished leecher (and its wall time) for long.
        "stop_tracker_timeout": 2,
        # pe_enabled / pe_both is libtorrent's default: "enabled" changes nothing.
        "out_enc_policy": int(lt.enc_policy.pe_forced if forced else lt.enc_policy.pe_enabled),
        "in_enc_policy": int(lt.enc_policy.pe_forced if forced else lt.enc_policy.pe_enabled),
        "allowed_enc_level": int(lt.enc_level.pe_rc4 if forced else lt.enc_level.pe_both),
        "prefer_rc4": forced,
        "alert_mask": lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification
        | lt.alert.category_t.peer_notification
        | lt.alert.category_t.connect_notification
        | lt.alert.category_t.tracker_notification,
    }
    ses = lt.session(settings)
    if args.torrent.startswith("magnet:"):
        # The metadata, and for v2 the piece layers, come from peers.
        params = lt.parse_magnet_uri(args.torrent)
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save_dir
    # Start at once rather than when the session's queue gets to it; PEX etc. off for this torrent too.
    params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    params.flags |= lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
    if args.mode == "seed-trusted":
        params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)
    listening = dialed = seeding = answered = False
    while True:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
                say("error", message=a.message())
                sys.exit(3)
            if isinstance(a, lt.listen_succeeded_alert) and not listening:
                listening = True
                say("listening", port=a.port)
            if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert)):
                say("peer-alert", message=a.message())
            if isinstance(a, lt.tracker_reply_alert):
                answered = True
        st = handle.status()
        checking = st.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
        if not dialed and not checking and (leech or st.is_seeding):
            # A seeder dials only once its data is checked, so the peer finds it with every piece.
            dialed = True
            for p in args.peer:
                host, _, peer_port = p.rpartition(":")
                handle.connect_peer((host.strip("[]"), int(peer_port)))
        if leech:
            if st.is_finished or st.is_seeding:
                say("done")
                # Graceful: the session's destructor closes files and announces `stopped`.
                del handle
                del ses
                say("exited")
                return
        else:
            if not seeding and st.is_seeding:
                seeding = True
                say("seeding")
            if seeding and answered:
                say("ready")
                answered = False


main()
