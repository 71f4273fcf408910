# Test helper: make a BitTorrent v2 or hybrid .torrent with libtorrent's create_torrent (the reference
# ripple's creation is compared with). Usage: lt-create.py v2|hybrid PATH PIECE_LENGTH OUT.torrent
# Prints one JSON line with both info hashes. No network.
import json
import os
import sys

import libtorrent as lt

mode, path, piece_length, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fs = lt.file_storage()
lt.add_files(fs, path)
flags = lt.create_torrent.v2_only if mode == "v2" else 0
ct = lt.create_torrent(fs, piece_length, flags=flags)
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
data = lt.bencode(ct.generate())
with open(out, "wb") as f:
    f.write(data)
ti = lt.torrent_info(out)
hashes = ti.info_hashes()
print(json.dumps({"v1": str(hashes.v1) if mode == "hybrid" else None, "v2": str(hashes.v2)}), flush=True)
