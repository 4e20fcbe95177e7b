import { useCallback, useEffect, useRef, useState } from "react";
import { remoteApi } from "../../api/remote";
import type { RemoteConnectRequest, RemoteConnection, RemoteHostKeyError } from "../../api/types";
import { describeRemoteError, type RemoteErrorInfo } from "./errors";

export interface ConnectFailure {
  info: Extract<RemoteErrorInfo, { kind: "message" }>;
  target: string;
}

export interface HostKeyPrompt {
  hostKey: RemoteHostKeyError;
  target: string;
  /** The request to send again once the key is trusted (held only while the dialog is open). */
  body: RemoteConnectRequest;
}

/**
 * Connecting, with the host-key round trip: an unknown key opens a prompt and the same request
 * is sent again only after the user accepts that exact fingerprint; a changed key is refused.
 */
export function useConnect(onConnected: (connection: RemoteConnection, body: RemoteConnectRequest) => void) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ConnectFailure | null>(null);
  const [prompt, setPrompt] = useState<HostKeyPrompt | null>(null);
  const [changed, setChanged] = useState<RemoteHostKeyError | null>(null);
  const [accepting, setAccepting] = useState(false);
  const [acceptError, setAcceptError] = useState<unknown>(null);
  const onConnectedRef = useRef(onConnected);
  useEffect(() => {
    onConnectedRef.current = onConnected;
  });

  const connect = useCallback(async (body: RemoteConnectRequest, target: string): Promise<boolean> => {
    setBusy(true);
    setFailure(null);
    setChanged(null);
    try {
      const connection = await remoteApi.connect(body);
      onConnectedRef.current(connection, body);
      return true;
    } catch (error) {
      const info = describeRemoteError(error);
      if (info.kind === "unknown_host_key") setPrompt({ hostKey: info.hostKey, target, body });
      else if (info.kind === "host_key_changed") setChanged(info.hostKey);
      else setFailure({ info, target });
      return false;
    } finally {
      setBusy(false);
    }
  }, []);

  const accept = useCallback(async () => {
    if (!prompt) return;
    setAccepting(true);
    setAcceptError(null);
    try {
      await remoteApi.acceptHostKey({
        host: prompt.hostKey.host,
        port: prompt.hostKey.port,
        fingerprint: prompt.hostKey.fingerprint,
      });
    } catch (error) {
      setAcceptError(error);
      setAccepting(false);
      return;
    }
    setPrompt(null);
    setAccepting(false);
    // A jump host and its target can each prompt: the second one opens the dialog again.
    await connect(prompt.body, prompt.target);
  }, [prompt, connect]);

  const cancel = useCallback(() => {
    setPrompt(null);
    setAcceptError(null);
  }, []);

  return {
    busy,
    failure,
    prompt,
    changed,
    accepting,
    acceptError,
    connect,
    accept,
    cancel,
    dismissChanged: useCallback(() => setChanged(null), []),
    dismissFailure: useCallback(() => setFailure(null), []),
  };
}
