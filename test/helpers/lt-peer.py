# Test helper: a libtorrent (python3-libtorrent) seeder or leecher on loopback with DHT, LSD, UPnP, NAT-PMP,
# uTP and PEX off, optionally with encryption forced (pe_forced, RC4 only) both ways. Prints one JSON line
# per milestone. Usage: lt-peer.py seed|leech TORRENT SAVE_DIR LISTEN_IP PORT forced|enabled [PEER_IP:PORT ...]
# (TORRENT: a .torrent file, or for a leecher a magnet link)
# With LT_UTP_ONLY=1 in the environment it speaks uTP only (TCP off both ways).
import json
import os
import sys

import libtorrent as lt


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def main():
    mode, torrent_path, save_path, ip, port, enc = sys.argv[1:7]
    peers = sys.argv[7:]
    forced = enc == "forced"
    utp_only = os.environ.get("LT_UTP_ONLY") == "1"
    listen = ("[%s]:%s" if ":" in ip else "%s:%s") % (ip, port)
    # Settings at construction: applied later, DHT/LSD would already have started.
    settings = {
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": utp_only,
        "enable_outgoing_utp": utp_only,
        "enable_incoming_tcp": not utp_only,
        "enable_outgoing_tcp": not utp_only,
        "listen_interfaces": listen,
        "outgoing_interfaces": ip,
        "allow_multiple_connections_per_ip": True,
        "out_enc_policy": int(lt.enc_policy.pe_forced if forced else lt.enc_policy.pe_enabled),
        "in_enc_policy": int(lt.enc_policy.pe_forced if forced else lt.enc_policy.pe_enabled),
        "allowed_enc_level": int(lt.enc_level.pe_rc4 if forced else lt.enc_level.pe_both),
        "prefer_rc4": forced,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification,
    }
    ses = lt.session(settings)
    if torrent_path.startswith("magnet:"):
        # A magnet link (btih or BEP 52 btmh): the metadata, and for v2 the piece layers, come from peers.
        params = lt.parse_magnet_uri(torrent_path)
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent_path)
    params.save_path = save_path
    params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    params.flags |= lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
    handle = ses.add_torrent(params)
    listening = connected = False
    seeding = False
    while True:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                say("error", message=a.message())
                sys.exit(3)
            if isinstance(a, lt.listen_failed_alert):
                say("error", message=a.message())
                sys.exit(3)
            if isinstance(a, lt.listen_succeeded_alert) and not listening:
                listening = True
                say("listening", port=a.port)
            if isinstance(a, lt.peer_connect_alert) or isinstance(a, lt.peer_disconnected_alert):
                say("peer-alert", message=a.message())
        st = handle.status()
        checking = st.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
        if not connected and not checking and (mode == "leech" or st.is_seeding):
            # Checked (a seeder hashed its data): dial the peers we were given.
            connected = True
            for p in peers:
                host, _, peer_port = p.rpartition(":")
                handle.connect_peer((host.strip("[]"), int(peer_port)))
        if mode == "leech":
            if st.is_finished or st.is_seeding:
                say("done")
                del handle
                del ses
                say("exited")
                return
        elif not seeding and st.is_seeding:
            seeding = True
            say("seeding")


main()
