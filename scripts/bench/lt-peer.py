# Benchmark helper: a libtorrent (python3-libtorrent) seeder or leecher on 127.0.0.1 with DHT, LSD,
# UPnP, NAT-PMP and uTP off (TCP only, like ripple and aria2c). Prints one JSON line per milestone.
# Usage: lt-peer.py seed|seed-trusted|leech TORRENT SAVE_DIR PORT [BIND_IP]   (BIND_IP default 127.0.0.1;
# the network lab passes a lab host's address)
import json
import sys
import time

import libtorrent as lt


def say(event, **fields):
    print(json.dumps({"event": event, "time": time.time(), **fields}), flush=True)


def main():
    mode, torrent_path, save_path, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    bind_ip = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
    # Settings at construction: applied later, DHT/LSD would already have started.
    settings = {
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "listen_interfaces": "%s:%d" % (bind_ip, port),
        "outgoing_interfaces": bind_ip,
        "allow_multiple_connections_per_ip": True,
        "stop_tracker_timeout": 2,
        "alert_mask": lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification
        | lt.alert.category_t.tracker_notification,
    }
    ses = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent_path)
    params.save_path = save_path
    if mode == "seed-trusted":
        # Trust the data on disk; pieces are hashed lazily as they are first served.
        params.flags |= lt.torrent_flags.seed_mode
    handle = ses.add_torrent(params)
    seeding = ready = False
    while True:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_error_alert) or isinstance(a, lt.file_error_alert):
                say("error", message=a.message())
                sys.exit(3)
            if isinstance(a, lt.tracker_reply_alert):
                ready = True
        st = handle.status()
        if mode == "leech":
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
            if seeding and ready:
                say("ready")
                ready = False


main()
