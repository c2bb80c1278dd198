#!/usr/bin/env python3
"""Extract the subset of the Proxmox VE API schema that Proximity uses.

Reads the full schema (`apidata.json`, a JSON array of path nodes as described in
WIRE.md section 6) and writes `assets/pve-api-subset.json`, the conformance
fixture that `src/sim/schema` embeds. Tests run on fresh clones without the full
schema, so this output is committed.

Usage: python3 scripts/extract_schema.py [APIDATA_JSON] [OUTPUT_JSON]
  defaults: ../shared/pve/apidata.json and assets/pve-api-subset.json, both
  relative to the repository root.

Stdlib only. Fails loudly (exit 1) if any listed endpoint is missing.
"""

import json
import os
import sys

# One endpoint per line: METHOD PATH-TEMPLATE. `tests/schema_fixture.rs` parses
# this block to check that the committed fixture matches it; keep the format.
ENDPOINTS = """
GET /version
GET /nodes
GET /nodes/{node}
GET /nodes/{node}/qemu/{vmid}/config
GET /nodes/{node}/lxc/{vmid}/status
GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config
GET /nodes/{node}/status
GET /nodes/{node}/version
GET /cluster/status
GET /cluster/resources
GET /cluster/nextid
GET /cluster/tasks
POST /access/ticket
GET /nodes/{node}/lxc
POST /nodes/{node}/lxc
GET /nodes/{node}/lxc/{vmid}/status/current
POST /nodes/{node}/lxc/{vmid}/status/start
POST /nodes/{node}/lxc/{vmid}/status/stop
POST /nodes/{node}/lxc/{vmid}/status/shutdown
POST /nodes/{node}/lxc/{vmid}/status/reboot
POST /nodes/{node}/lxc/{vmid}/status/suspend
POST /nodes/{node}/lxc/{vmid}/status/resume
DELETE /nodes/{node}/lxc/{vmid}
GET /nodes/{node}/lxc/{vmid}/config
PUT /nodes/{node}/lxc/{vmid}/config
GET /nodes/{node}/lxc/{vmid}/interfaces
POST /nodes/{node}/lxc/{vmid}/clone
GET /nodes/{node}/lxc/{vmid}/snapshot
POST /nodes/{node}/lxc/{vmid}/snapshot
DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}
POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback
GET /nodes/{node}/qemu
GET /nodes/{node}/qemu/{vmid}/status/current
POST /nodes/{node}/qemu/{vmid}/status/suspend
POST /nodes/{node}/qemu/{vmid}/status/resume
POST /nodes/{node}/qemu/{vmid}/status/start
POST /nodes/{node}/qemu/{vmid}/status/stop
POST /nodes/{node}/qemu/{vmid}/status/shutdown
POST /nodes/{node}/qemu/{vmid}/status/reboot
GET /nodes/{node}/storage
GET /nodes/{node}/storage/{storage}/content
GET /nodes/{node}/aplinfo
POST /nodes/{node}/aplinfo
POST /nodes/{node}/vzdump
GET /nodes/{node}/storage/{storage}/content/{volume}
PUT /nodes/{node}/storage/{storage}/content/{volume}
DELETE /nodes/{node}/storage/{storage}/content/{volume}
GET /cluster/backup
POST /cluster/backup
GET /cluster/backup/{id}
PUT /cluster/backup/{id}
DELETE /cluster/backup/{id}
GET /nodes/{node}/tasks
GET /nodes/{node}/tasks/{upid}/status
GET /nodes/{node}/tasks/{upid}/log
DELETE /nodes/{node}/tasks/{upid}
GET /nodes/{node}/rrddata
GET /nodes/{node}/lxc/{vmid}/rrddata
GET /nodes/{node}/qemu/{vmid}/rrddata
POST /nodes/{node}/lxc/{vmid}/termproxy
GET /nodes/{node}/lxc/{vmid}/vncwebsocket
POST /nodes/{node}/termproxy
GET /nodes/{node}/vncwebsocket
POST /nodes/{node}/qemu
"""

# The fields of a method that the oracle needs; descriptions stay (they explain
# quirks such as /cluster/nextid's type), permissions and proxyto do not.
KEPT_FIELDS = ("allowtoken", "parameters", "returns")


def parse_endpoints(text):
    endpoints = []
    for line in text.strip().splitlines():
        method, path = line.split()
        endpoints.append((method, path))
    return endpoints


def index_tree(nodes, out):
    """Flatten the apidata tree into {path: info}."""
    for node in nodes:
        out[node["path"]] = node.get("info", {})
        index_tree(node.get("children", []), out)
    return out


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = argv[1] if len(argv) > 1 else os.path.join(root, "..", "shared", "pve", "apidata.json")
    dst = argv[2] if len(argv) > 2 else os.path.join(root, "assets", "pve-api-subset.json")

    if not os.path.isfile(src):
        sys.stderr.write("extract_schema: %s not found; pass the apidata.json path as first argument\n" % src)
        return 1
    with open(src, encoding="utf-8") as f:
        text = f.read().strip()
    # Accept the raw pve-docs apidata.js too (`const apiSchema = [...];`).
    if text.startswith("const apiSchema ="):
        text = text[len("const apiSchema ="):].strip().rstrip(";")
    tree = index_tree(json.loads(text), {})

    missing = []
    lines = []
    for method, path in parse_endpoints(ENDPOINTS):
        info = tree.get(path, {}).get(method)
        if info is None:
            missing.append(f"{method} {path}")
            continue
        entry = {"method": method, "path": path}
        for field in KEPT_FIELDS:
            if field in info:
                entry[field] = info[field]
        lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False))

    if missing:
        sys.stderr.write("extract_schema: endpoints missing from %s:\n  %s\n" % (src, "\n  ".join(missing)))
        return 1

    with open(dst, "w", encoding="utf-8") as f:
        f.write('{"source":"proxmox/pve-docs api-viewer/apidata.js (PVE 9.1), via scripts/extract_schema.py",\n')
        f.write('"endpoints":[\n')
        f.write(",\n".join(lines))
        f.write("\n]}\n")
    sys.stderr.write("extract_schema: wrote %d endpoints to %s\n" % (len(lines), dst))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
