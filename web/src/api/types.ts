/** Shapes of the viewer API, as documented in docs/api.md (the contract). */

export type RunStatus = "running" | "finished" | "failed" | "interrupted" | "crashed";

export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "finished",
  "failed",
  "interrupted",
  "crashed",
];

/** A JSON number as the API sends it: non-finite values arrive as strings. */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

export interface MetricStats {
  last: JsonNumber | null;
  min: JsonNumber | null;
  max: JsonNumber | null;
  step: number | null;
  count?: number;
}

export interface RunItem {
  id: string;
  project: string;
  name: string;
  status: RunStatus;
  created_at: number | null;
  ended_at: number | null;
  heartbeat_at?: number | null;
  duration: number | null;
  hostname?: string | null;
  pid?: number | null;
  exit_reason?: string | null;
  tags: string[];
  notes: string;
  config: JsonObject;
  summary: JsonObject;
  metrics: Record<string, MetricStats>;
  last_step?: number | null;
  deleted_at?: number | null;
  path?: string;
  /** How many alerts the run raised, and the newest one. */
  alerts?: number;
  last_alert?: AlertItem | null;
  /** The original Runicorn SDK's `init(alias=...)`, kept in meta.json. */
  alias?: string | null;
}

export type AlertLevel = "info" | "warn" | "error";

/** One alert (docs/api.md): a monitor rule that fired, a run.alert(), or the viewer's own. */
export interface AlertItem {
  id: number | null;
  run_id: string;
  ts: number;
  rule: string;
  level: AlertLevel;
  title: string;
  text: string;
  key: string | null;
  step: number | null;
  value: number | null;
  source: "sdk" | "viewer";
  project: string | null;
  name: string | null;
}

export interface MediaItem {
  key: string;
  path: string;
  step: number | null;
  caption?: string | null;
  ts?: number | null;
}

export interface RunDetail extends RunItem {
  meta?: JsonObject | null;
  environment?: JsonObject | null;
  media?: MediaItem[];
  files?: Record<string, number>;
  metric_keys?: string[];
}

export interface ListResponse<T> {
  items: T[];
  total: number;
}

export interface V2ListResponse<T> extends ListResponse<T> {
  next_cursor?: string | null;
}

export interface ProjectName {
  name: string;
  runs: number;
}

export interface ProjectItem {
  project: string;
  runs: number;
  running?: number;
  names: ProjectName[];
}

/** A config or summary leaf: show `key`, read a run's value at `path`, sort/filter by `field`. */
export interface JsonField {
  key: string;
  path: string[];
  /** The v2 grammar's name for it, exactly as the server accepts it back. */
  field: string;
}

export interface MetricField {
  key: string;
  /** The v2 name of the metric; append `.last`, `.min` or `.max`. */
  field: string;
}

export interface FieldsResponse {
  config: JsonField[];
  summary: JsonField[];
  metrics: MetricField[];
  /** Every tag of a live run, so the tag filter offers tags of runs not loaded yet. */
  tags: string[];
}

export interface Health {
  status: string;
  version?: string;
  root?: string;
}

export interface LogsChunk {
  text: string;
  offset: number;
  next_offset: number;
  /** The file's size in bytes when the chunk was read. */
  size?: number;
}

/** The x axis a metric read is drawn against. Any other logged key is also accepted. */
export type XMode = "step" | "time" | "relative" | (string & {});

export interface SeriesPayload {
  x: JsonNumber[];
  y: JsonNumber[];
  count?: number;
  downsampled?: boolean;
  y_min?: JsonNumber[];
  y_max?: JsonNumber[];
}

export interface MetricsResponse {
  run_id: string;
  x: XMode;
  series: Record<string, SeriesPayload>;
}

export interface BatchMetricsResponse {
  x: XMode;
  runs: Record<string, { x: XMode; series: Record<string, SeriesPayload> }>;
  /** Ids that are unknown or invalid. */
  missing: string[];
}

export interface MetricsQuery {
  keys?: string[];
  x?: XMode;
  start?: number | null;
  end?: number | null;
  maxPoints?: number;
}

export interface ChartDefaults {
  max_points: number;
  smoothing: number;
}

export interface ViewerConfig {
  user_root_dir: string;
  chart_defaults: ChartDefaults;
}

export interface GpuInfo {
  index: number;
  name: string;
  utilization: number | null;
  memory_used: number | null;
  memory_total: number | null;
  temperature?: number | null;
  power?: number | null;
}

export interface HostInfo {
  cpu_percent: number | null;
  memory_used: number | null;
  memory_total: number | null;
  memory_percent: number | null;
}

export interface GpuResponse {
  available: boolean;
  reason?: string | null;
  gpus: GpuInfo[];
  host?: HostInfo | null;
}

export type Preferences = Record<string, JsonValue>;

export interface LiveMetricsMessage {
  series?: Record<string, { x: JsonNumber[]; y: JsonNumber[] }>;
  status?: RunStatus;
  /** Alerts the run raised since the socket opened. */
  alerts?: AlertItem[];
  /** An unknown run: the server closes the socket (code 4404, or 4400 for an invalid id). */
  error?: string;
}

export interface ExperimentsQuery {
  filter?: string;
  sort?: string;
  limit?: number;
  offset?: number;
}

/* Remote viewing (docs/api.md "Remote"). No answer carries a password, passphrase or key. */

export type RemoteErrorReason =
  | "unknown_host_key"
  | "host_key_changed"
  | "authentication_failed"
  | "not_found"
  | "path_not_found"
  | "connect_failed"
  | "viewer_failed"
  | "command_failed"
  | "tunnel_failed"
  | "invalid"
  | "credentials"
  | "remote_error";

/** The 409 body for a host key the user must check (`unknown_host_key`) or that changed. */
export interface RemoteHostKeyError {
  detail: string;
  reason: "unknown_host_key" | "host_key_changed";
  fingerprint: string;
  key_type: string;
  host: string;
  port: number;
}

export interface RemoteConnectRequest {
  host?: string | null;
  port?: number | null;
  user?: string | null;
  key_file?: string | null;
  password?: string | null;
  passphrase?: string | null;
  jump_host?: string | null;
  use_agent?: boolean;
  saved_id?: string | null;
  save?: boolean;
  save_name?: string | null;
  remember_secrets?: boolean;
}

export interface RemoteConnection {
  /** `user@host:port`, with blanks where ~/.ssh/config decides. */
  id: string;
  host: string;
  port: number | null;
  user: string | null;
  target: string;
  connected: boolean;
  jump_host: string | null;
  saved_id?: string | null;
  /** Ids of the viewer sessions over this connection (in GET /sessions). */
  viewer_sessions?: string[];
}

export interface HostKeyAccepted {
  accepted: boolean;
  host: string;
  port: number;
  key_type: string;
  fingerprint: string;
  known_hosts: string;
}

export type ViewerSessionState = "starting" | "running" | "reconnecting" | "stopped" | "failed";

export interface RemoteViewerSession {
  id: string;
  state: ViewerSessionState;
  connection_id: string | null;
  target: string;
  python: string;
  root: string | null;
  local_port: number | null;
  /** The local tunnel URL; carries the remote viewer's token. */
  url: string | null;
  remote_port: number | null;
  remote_pid: number | null;
  reconnects: number;
  viewer_restarts: number;
  last_error: string | null;
  created_at: number;
  health: { status?: string; version?: string; root?: string } | null;
}

export interface RemoteEnvironment {
  python: string;
  source: "conda" | "path" | "user" | (string & {});
  name: string;
  python_version: string | null;
  runicorn_version: string | null;
  compatible: boolean;
  error: string | null;
}

export type RemoteFsType = "dir" | "file" | "link" | "other";

export interface RemoteFsEntry {
  name: string;
  path: string;
  type: RemoteFsType;
  is_link: boolean;
  size: number | null;
  mtime: number | null;
}

export interface RemoteFsListing {
  path: string;
  parent: string | null;
  entries: RemoteFsEntry[];
  truncated: boolean;
}

export interface RemoteFsExists {
  path: string;
  exists: boolean;
  type: RemoteFsType | null;
}

export interface RemoteStatus {
  hostname: string;
  platform: string;
  python: string;
  time: number;
  cpu_count: number | null;
  load: [number, number, number] | null;
  memory: { total: number | null; available: number | null; used: number | null; percent: number | null };
  disk: {
    path: string;
    measured_at?: string;
    total?: number;
    used?: number;
    free?: number;
    percent?: number | null;
    error?: string;
  };
  gpu: GpuResponse;
}

export interface SavedConnection {
  id: string;
  name: string;
  host: string;
  port: number | null;
  user: string | null;
  key_file: string | null;
  jump_host: string | null;
  use_agent: boolean;
  python: string | null;
  root: string | null;
  has_password: boolean;
  has_passphrase: boolean;
  created_at: number;
  updated_at: number;
}

export interface SaveConnectionRequest {
  id?: string | null;
  name: string;
  host: string;
  port?: number | null;
  user?: string | null;
  key_file?: string | null;
  jump_host?: string | null;
  use_agent?: boolean;
  python?: string | null;
  root?: string | null;
  password?: string | null;
  passphrase?: string | null;
  remember_secrets?: boolean;
}
