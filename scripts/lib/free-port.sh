# Sourced by scripts/k8s-up.sh and scripts/argocd-up.sh, which pick all their
# components' ports first and start the components afterwards.
# free_port: a free port on 127.0.0.1 BELOW the kernel's ephemeral range. The
# ports are picked first and bound seconds later, and meanwhile the components'
# own outgoing connections (kube-apiserver to etcd, ...) take ephemeral ports:
# a port the kernel just handed out (listen(0)) was seen taken by one of them
# ("kwok: bind: address already in use"). Random in [10000, range start), and
# checked by binding it.
free_port() {
  node -e '
    const net = require("node:net");
    const fs = require("node:fs");
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
    const tryPort = (left) => {
      const port = 10000 + Math.floor(Math.random() * Math.max(1, low - 10000));
      const s = net.createServer();
      s.once("error", () => (left > 0 ? tryPort(left - 1) : process.exit(1)));
      s.listen(port, "127.0.0.1", () => { console.log(port); s.close(); });
    };
    tryPort(50);'
}
