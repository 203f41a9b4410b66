#!/usr/bin/env python3
"""Figures for several `qpae serve` instances sharing one PostgreSQL database (issue 17).

For 1, 2 and 3 instances on this machine: jobs per hour on a batch of retraining requests (6 FSDD-subset
CNNs from scripts/service-load, 2 requests each), the queue latency of a request submitted to an idle
service (submit to claim), each instance's peak memory; then, with 2 instances, the takeover time after
one is killed with SIGKILL mid-job (lease 10 s).

    scripts/service-load            # once, for the models (or MODELS=6 DURATION=10 scripts/service-load)
    scripts/service-instances.py [WORK_FOLDER]       (COUNTS="1 3" for some of the runs, BATCH=0 to time only the queue)

Starts its own throw-away PostgreSQL cluster (Debian's postgresql; as the postgres user when run as root).
"""
import json, os, shutil, signal, subprocess, sys, time, urllib.request, uuid
from datetime import datetime

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
qpae = os.path.join(root, ".build/release/qpae")
work = sys.argv[1] if len(sys.argv) > 1 else "/tmp/qpae-service-load"
models = [os.path.join(work, "models", f"m{i}.safetensors") for i in range(1, 7)]
subjects = ["george", "jackson"]
lease = 10

def sh(*command, user=None):
    if user and os.getuid() == 0:
        command = ("runuser", "-u", user, "--") + command
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def start_cluster():
    binaries = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    binaries = f"/usr/lib/postgresql/{binaries}/bin"
    folder = "/tmp/qpae-instances-postgres"
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    sh(f"{binaries}/initdb", "-D", f"{folder}/data", "--auth=trust", "-U", "postgres", "--no-sync", user="postgres")
    sh(f"{binaries}/pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-w",
       "-o", f"-k {folder} -p 55432 -c listen_addresses=''", "start", user="postgres")
    return binaries, folder

def stop_cluster(binaries, folder):
    sh(f"{binaries}/pg_ctl", "-D", f"{folder}/data", "-m", "immediate", "stop", user="postgres")

def request(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as answer:
        return json.loads(answer.read())

def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

class Instance:
    def __init__(self, folder, database, store, name):
        self.log = open(os.path.join(folder, f"{name}.log"), "w")
        self.process = subprocess.Popen([qpae, "serve", "--data-dir", folder, "--database", database, "--model-store", store,
                                         "--port", "0", "--workers", "1", "--lease-seconds", str(lease)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.path = os.path.join(folder, f"{name}.log")
        while True:
            text = open(self.path).read()
            lines = [l for l in text.splitlines() if l.startswith("listening on http://")]
            if lines:
                self.url = lines[0].split("listening on ")[1]
                self.name = text.split("instance ")[1].split(",")[0]
                break
            time.sleep(0.05)

    def peak_memory_mib(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024

    def stop(self, kill=False):
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait()

def run(count, binaries, cluster):
    database_name = "bench_" + uuid.uuid4().hex[:8]
    sh(f"{binaries}/createdb", "-h", cluster, "-p", "55432", "-U", "postgres", database_name)
    database = f"postgres://postgres@/{database_name}?host={cluster}&port=55432"
    base = os.path.join(work, f"instances-{count}-{database_name}")
    store = os.path.join(base, "store")
    folders = [os.path.join(base, f"instance-{i}") for i in range(1, count + 1)]
    os.makedirs(folders[0])
    token = subprocess.run([qpae, "serve", "token", "create", "--data-dir", folders[0], "--database", database, "--model-store", store,
                            "--role", "operator", "--name", "bench"], check=True, capture_output=True, text=True).stdout.strip()
    for folder in folders[1:]:
        os.makedirs(folder)
        for name in ("signing-key", "signing-key.pub"):
            shutil.copy2(os.path.join(folders[0], name), os.path.join(folder, name))
    instances = [Instance(folder, database, store, f"serve-{i}") for i, folder in enumerate(folders, 1)]
    for i, model in enumerate(models, 1):
        request("POST", f"{instances[0].url}/v1/models", token, {"name": f"m{i}", "path": model})
    # Idle queue latency: one request at a time, submit to claim.
    latencies = []
    for i in range(5):
        submitted = request("POST", f"{instances[i % count].url}/v1/requests", token,
                            {"model": f"m{i + 1}", "subjects": ["theo"], "reference": f"probe {i}", "method": "retrain"})
        while True:
            state = request("GET", f"{instances[0].url}/v1/requests/{submitted['id']}", token)
            if state.get("startedAt"):
                break
            time.sleep(0.02)
        latencies.append(when(state["startedAt"]) - when(state["submittedAt"]))
        while request("GET", f"{instances[0].url}/v1/requests/{submitted['id']}", token)["state"] != "completed":
            time.sleep(0.2)
    # The batch: 12 retraining requests over 6 models.
    start = time.time()
    batch = int(os.environ.get("BATCH", "12"))
    ids = [request("POST", f"{instances[i % count].url}/v1/requests", token,
                   {"model": f"m{i % 6 + 1}", "subjects": [subjects[i // 6]], "reference": f"batch {i}", "method": "retrain"})["id"]
           for i in range(batch)]
    while True:
        states = [request("GET", f"{instances[0].url}/v1/requests/{id}", token) for id in ids]
        if all(s["state"] in ("completed", "failed") for s in states):
            break
        time.sleep(0.5)
    hours = (max([when(s["finishedAt"]) for s in states], default=start + 1) - start) / 3600
    failed = sum(s["state"] != "completed" for s in states)
    memory = [instance.peak_memory_mib() for instance in instances]
    takeover = None
    if count >= 2:
        submitted = request("POST", f"{instances[0].url}/v1/requests", token,
                            {"model": "m1", "subjects": ["lucas"], "reference": "kill", "method": "retrain"})
        database_requests = None
        while True:
            state = request("GET", f"{instances[0].url}/v1/requests/{submitted['id']}", token)
            if state["state"] == "running":
                break
            time.sleep(0.02)
        # Kill whichever instance holds it (the lease owner is not in the API: try each instance's log).
        holder = next(i for i in instances if submitted["id"] in open(i.path).read())
        holder.stop(kill=True)
        killed = time.time()
        survivor = next(i for i in instances if i is not holder)
        while True:
            state = request("GET", f"{survivor.url}/v1/requests/{submitted['id']}", token)
            if state["attempts"] >= 2 and state.get("startedAt"):
                break
            time.sleep(0.05)
        takeover = when(state["startedAt"]) - killed
        instances.remove(holder)
    for instance in instances:
        instance.stop()
    return dict(instances=count, jobs=batch, failed=failed, jobs_per_hour=batch / hours, minutes=hours * 60,
                queue_latency_ms=[round(1000 * l) for l in latencies], peak_memory_mib=[round(m) for m in memory],
                takeover_seconds=takeover)

if __name__ == "__main__":
    missing = [m for m in models if not os.path.exists(m)]
    if missing:
        sys.exit(f"no models at {missing[0]}: run scripts/service-load first (it trains them)")
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].splitlines()[0].strip(),
          f"{os.cpu_count()} CPUs; lease {lease} s; 12 retraining jobs (FSDD-half CNN, 2 epochs) per run")
    binaries, cluster = start_cluster()
    try:
        for count in [int(c) for c in os.environ.get("COUNTS", "1 2 3").split()]:
            print(json.dumps(run(count, binaries, cluster)), flush=True)
    finally:
        stop_cluster(binaries, cluster)
