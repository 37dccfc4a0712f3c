/** What the benchmark asks of the raw-cloud child process (over the IPC channel). */
export type RawCloudRequest =
  | { type: 'connect'; url: string; username: string; password: string; clientId: string; gatewayPrefix: string }
  /** Subscribe TOCLOUD/# (as the API does) and count the Status frames of the run's gateways up to `expected`. */
  | { type: 'countStatuses'; expected: number }
  /** Subscribe to the Status replies and frame the image in `imageFile`, ready to publish it on `topics`. */
  | { type: 'prepareRollout'; imageFile: string; version: string; topics: string[]; expectedReplies: number }
  /** The bare fan-out: publish the file's bytes as they are (no frame) on `topics`, count the first reply of each gateway (not decoded). */
  | { type: 'prepareBare'; payloadFile: string; topics: string[]; expectedReplies: number }
  /** Publish the prepared image. */
  | { type: 'go' }
  | { type: 'close' };

export type RawCloudReply =
  /** The request is set up (connected, subscribed, image framed). */
  | { type: 'ready' }
  /** Everything expected arrived. */
  | { type: 'done'; count: number }
  | { type: 'progress'; count: number }
  | { type: 'error'; message: string };
