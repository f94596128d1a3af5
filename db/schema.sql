-- db/schema.sql — the qcts results database (SQLite; ARCHITECTURE.md,
-- "Database"). This file is the schema: db/db.mk compiles it into qcts as an
-- ordered list of migrations, so there is no second copy to keep in step.
--
-- VERSIONING
--   PRAGMA user_version = N means migrations 1..N below have been applied.
--   When qcts opens a database it applies every missing migration in order,
--   each in its own transaction (BEGIN IMMEDIATE; the SQL; PRAGMA
--   user_version = N; COMMIT), so a crash leaves the database at a whole
--   version. A database whose user_version is above the newest migration
--   here was written by a newer qcts and is refused, never modified.
--   Migrations are only ever appended; one that was released is never
--   edited. Each starts with a line "-- migration N" (N = 1, 2, ... in
--   order); the lines before the first marker (this comment) are not part of
--   any migration. No double quotes or backslashes (the build copies the
--   text into C strings verbatim and refuses both).
--
-- CONVENTIONS
--   Times are UTC ISO-8601 text with milliseconds ('2025-11-22T02:40:07.123Z').
--   A value that is unknown or does not apply is NULL (SQLite stores a NaN
--   bound to a REAL column as NULL too). One run is one transaction: the run
--   row and all its results are inserted together and committed once, so a
--   run killed before the end leaves no trace.

-- migration 1
-- The machine a run ran on. Identical fingerprints share a row.
CREATE TABLE host (
    id            INTEGER PRIMARY KEY,
    fingerprint   TEXT NOT NULL UNIQUE,   -- hex hash of every column below
    cpu_model     TEXT,                   -- /proc/cpuinfo model name, or sysctl brand string
    isa_flags     TEXT,                   -- space-separated ISA extensions that matter to kernels
    cores         INTEGER,                -- online logical CPUs
    memory_bytes  INTEGER,                -- physical memory
    os            TEXT,                   -- uname: sysname release machine
    compiler      TEXT,                   -- the compiler that built qcts (__VERSION__)
    gpu           TEXT                    -- nvidia-smi name and driver; NULL when none
);

-- One invocation of qcts check (kind 'check') or, later, qcts bench ('bench').
CREATE TABLE run (
    id                INTEGER PRIMARY KEY,
    uuid              TEXT NOT NULL UNIQUE,  -- random (v4); the key across merged databases
    kind              TEXT NOT NULL CHECK (kind IN ('check', 'bench')),
    started_at        TEXT NOT NULL,
    ended_at          TEXT,
    git_commit        TEXT,                  -- git rev-parse HEAD; NULL outside a work tree
    git_dirty         INTEGER CHECK (git_dirty IN (0, 1)),  -- tracked files modified
    vector_set_sha256 TEXT,                  -- MANIFEST.json vector_set_sha256 of --vectors
    command_line      TEXT NOT NULL,
    host_id           INTEGER NOT NULL REFERENCES host (id)
);

-- One backend x case of a check run.
CREATE TABLE result (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    backend         TEXT NOT NULL,          -- as selected: 'ref', 'plugin:/x/y.so', 'exec:cmd'
    variant         TEXT,                   -- the kernel variant the backend reported
    op              TEXT NOT NULL,          -- convert, quantize, dequant, gemm
    scheme          TEXT,                   -- scheme preset, or the element format for convert
    suite           TEXT NOT NULL,          -- 'gemv/fp4_g128_f16'
    case_id         TEXT NOT NULL,          -- 'c007'
    seed            TEXT,                   -- as the case file writes it ('0x1f2e...')
    check_rule      TEXT,                   -- exact, bound, ulp:N
    verdict         TEXT NOT NULL
                    CHECK (verdict IN ('PASS', 'FAIL', 'SKIP', 'UNAVAILABLE', 'MISTRUSTED', 'ERROR')),
    reason          TEXT,                   -- why, for every verdict but PASS
    n               INTEGER,                -- elements of the checked output
    mismatches      INTEGER,                -- elements whose bits differ (NaN matches NaN)
    violations      INTEGER,                -- elements breaking the check rule
    max_abs         REAL,                   -- metrics of the main output (conformance/include/qcts/metrics.h);
    max_rel         REAL,                   --   NULL for integer (code) outputs and where
    max_ulp         INTEGER,                --   undefined (NaN); max_ulp NULL also when a
    mse             REAL,                   --   NaN met a number
    nmse            REAL,
    cosine          REAL,
    kl              REAL,                   -- gemm: mean over rows of KL(softmax(ref) || softmax(y))
    snr_db          REAL,
    worst_index     INTEGER,                -- the element that broke the rule worst
    worst_expected  REAL,
    worst_got       REAL,
    worst_bound     REAL,                   -- the allowed |error| there (0 for exact)
    identified      TEXT,                   -- --identify: conventions matched exactly, space-separated
    duration_s      REAL,                   -- prepare to release, seconds
    UNIQUE (run_id, backend, suite, case_id)
);
CREATE INDEX result_case ON result (suite, case_id, backend);

-- migration 2
-- Benchmarks (qcts bench, bench/include/qcts/bench.h), run tags and stored
-- quantization quality (qcts quality --db). Runs of kind 'bench' own the
-- roofline and measurement rows; samples belong to a measurement.

-- The host roofline probed once per bench run.
CREATE TABLE roofline (
    run_id   INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    metric   TEXT NOT NULL,              -- read, copy (GB/s); fma (GFLOP/s); llc (bytes); counter (Hz)
    isa      TEXT NOT NULL DEFAULT '',   -- fma: scalar, avx2, avx512, neon; counter: its name
    threads  INTEGER NOT NULL,           -- 1, or the number of cores used at once
    value    REAL,
    unit     TEXT,
    PRIMARY KEY (run_id, metric, isa, threads)
);

-- One backend x op x scheme x shape x threads of a bench run (aggregates).
CREATE TABLE measurement (
    id                 INTEGER PRIMARY KEY,
    run_id             INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    backend            TEXT NOT NULL,     -- as selected ('ref', 'simd', 'plugin:/x/y.so')
    variant            TEXT,              -- the kernel variant the backend reported
    op                 TEXT NOT NULL,     -- gemm (GEMV when m = 1), dequant
    scheme             TEXT NOT NULL,
    shape_set          TEXT NOT NULL,     -- bench/shapes/NAME.json
    shape              TEXT NOT NULL,     -- the shape's name in the set
    phase              TEXT,              -- decode, prefill
    m                  INTEGER NOT NULL,
    n                  INTEGER NOT NULL,
    k                  INTEGER NOT NULL,
    threads            INTEGER NOT NULL,
    cold               INTEGER NOT NULL CHECK (cold IN (0, 1)),  -- weights rotated beyond the LLC
    status             TEXT NOT NULL CHECK (status IN ('ok', 'refused', 'skip', 'unavailable', 'error')),
    reason             TEXT,              -- why, for every status but ok
    n_samples          INTEGER NOT NULL,
    inner              INTEGER,           -- calls per timed sample (samples are per call)
    min_s              REAL,              -- statistics of the samples, seconds per call
    median_s           REAL,
    mad_s              REAL,              -- median absolute deviation (unscaled)
    p90_s              REAL,
    mean_s             REAL,
    cv                 REAL,              -- standard deviation / mean
    bytes              REAL,              -- weights (all sections) + activations + outputs
    flops              REAL,              -- 2 m n k (gemm)
    gbs                REAL,              -- bytes / median, 1e9 per second
    gflops             REAL,
    cycles_per_weight  REAL,              -- counter ticks per weight (see cycle_counter)
    cycle_counter      TEXT,              -- rdtsc (TSC cycles), cntvct_el0 (timer ticks)
    roof_fraction      REAL,              -- of the matching ceiling (roof_kind)
    roof_kind          TEXT,              -- read 1 core, read all cores, fma ISA 1 core, ...
    per_token          REAL,              -- decode calls per token (tokens/s projection)
    set_decode_shapes  INTEGER,           -- decode shapes with per_token > 0 in the whole set
    UNIQUE (run_id, backend, op, scheme, shape_set, shape, threads, cold)
);
CREATE INDEX measurement_key ON measurement (backend, op, scheme, shape_set, shape, threads);

-- Raw timings of a measurement, seconds per call, in the order taken.
CREATE TABLE sample (
    measurement_id  INTEGER NOT NULL REFERENCES measurement (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    seconds         REAL NOT NULL,
    PRIMARY KEY (measurement_id, idx)
) WITHOUT ROWID;

-- Names for runs (qcts db tag RUN NAME); by uuid, so tags survive merges.
CREATE TABLE tag (
    name       TEXT PRIMARY KEY,
    run_uuid   TEXT NOT NULL,
    tagged_at  TEXT NOT NULL
);

-- Quantization quality of schemes (qcts quality --db); one batch per call.
CREATE TABLE quality (
    id               INTEGER PRIMARY KEY,
    batch_uuid       TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    host_id          INTEGER REFERENCES host (id),
    command_line     TEXT,
    scheme           TEXT NOT NULL,
    dist             TEXT,
    seed             TEXT,
    rows             INTEGER,
    cols             INTEGER,
    bits_per_weight  REAL,
    mse              REAL,
    nmse             REAL,
    snr_db           REAL,
    cosine           REAL,
    max_abs          REAL,
    kl               REAL,
    note             TEXT,
    UNIQUE (batch_uuid, scheme)
);

-- migration 3
-- Which vector set a check run used (qcts/vecset.h): 1 the official set
-- (vectors/golden, every file verified against its MANIFEST.json), 0 any
-- other set given with --vectors. vector_set_sha256 is in both cases the
-- hash of the files actually read (the MANIFEST.json rule), never a hash
-- that was not checked. NULL for bench runs and runs recorded before.
ALTER TABLE run ADD COLUMN vector_set_official INTEGER CHECK (vector_set_official IN (0, 1));

-- migration 4
-- Honest numbers (issue 11). A measurement is R repetitions, each with its
-- own warm-up and timing block, repetitions of all kernels interleaved in a
-- seeded random order; compare works on the repetition medians.
ALTER TABLE sample ADD COLUMN rep INTEGER;              -- repetition (0-based); NULL: runs before repetitions
ALTER TABLE measurement ADD COLUMN repeats INTEGER;     -- repetitions; median_s and mad_s are over their medians
ALTER TABLE measurement ADD COLUMN iqr_s REAL;          -- interquartile range of the repetition medians
ALTER TABLE measurement ADD COLUMN ceiling_level TEXT;  -- where the data comes from: L2, LLC, DRAM, or FMA (compute)
ALTER TABLE measurement ADD COLUMN over_ceiling INTEGER;  -- 1: roof_fraction > 1, flagged in reports
ALTER TABLE roofline ADD COLUMN spread REAL;            -- (best - worst) / best over the probe's trials

-- The state of the machine while a bench run ran; one row per bench run.
CREATE TABLE run_env (
    run_id           INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
    repeats          INTEGER,   -- --repeat
    order_seed       INTEGER,   -- seed of the interleaved order of repetitions
    load1_start      REAL,      -- /proc/loadavg, 1-minute load at the start and the end
    load1_end        REAL,
    steal_fraction   REAL,      -- /proc/stat steal time over all CPU time during the run
    other_cpu_share  REAL,      -- CPU time of other processes over all CPU time during the run
    governor         TEXT,      -- cpufreq scaling governor, or 'unavailable'
    turbo            TEXT,      -- 'on', 'off' or 'unavailable'
    busy             INTEGER,   -- 1: the machine was busy (see warning)
    warning          TEXT,      -- why it counts as busy; NULL when calm
    roof_checks      TEXT       -- the probe's self-checks: 'ok' or what failed
);

-- The host's noise floor per kernel: the largest |ratio - 1| seen between
-- A/A runs (same build, same host: qcts bench --calibrate-noise), for each
-- per-repetition statistic compare can use. compare flags a change only
-- beyond max(threshold, floor).
CREATE TABLE noise_floor (
    host_id      INTEGER NOT NULL REFERENCES host (id),
    statistic    TEXT NOT NULL,     -- median or min: what each repetition is reduced to
    backend      TEXT NOT NULL,
    op           TEXT NOT NULL,
    scheme       TEXT NOT NULL,
    shape_set    TEXT NOT NULL,
    shape        TEXT NOT NULL,
    threads      INTEGER NOT NULL,
    cold         INTEGER NOT NULL,
    floor        REAL NOT NULL,
    pairs        INTEGER NOT NULL,  -- A/A comparisons it was taken over
    measured_at  TEXT NOT NULL,
    PRIMARY KEY (host_id, statistic, backend, op, scheme, shape_set, shape, threads, cold)
);

-- migration 5
-- Sharded checks for CI matrices (qcts check --shard I/N --run-group ID):
-- the runs of one group are one logical run, complete only when shards
-- 1..shard_count are all present. NULL for runs that were not sharded.
ALTER TABLE run ADD COLUMN run_group TEXT;
ALTER TABLE run ADD COLUMN shard_index INTEGER CHECK (shard_index >= 1);
ALTER TABLE run ADD COLUMN shard_count INTEGER CHECK (shard_count >= 2);
CREATE INDEX run_by_group ON run (run_group);
