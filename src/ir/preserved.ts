/**
 * What the codec read but the IR does not model, kept so that a model read and written without changes
 * comes back byte-identical. The IR carries these along with their object and never interprets them.
 */
export interface Preserved {
  /** Fields the codec does not know, each as its complete wire encoding (tag and value). */
  readonly unknown: readonly PreservedField[];
  /**
   * Field numbers whose presence differs from what the IR value implies: a default value ('' or 0) that
   * was written explicitly, or a field the IR always fills that the file left out.
   */
  readonly presence?: readonly number[];
  /** Repeated scalar fields that were packed (or not) contrary to the schema's default. */
  readonly repacked?: readonly number[];
  /**
   * The message's exact bytes and a fingerprint of the IR content decoded from them: written back
   * verbatim while the content is unchanged (used for small messages with nested quirks, like types).
   */
  readonly verbatim?: { readonly bytes: Uint8Array; readonly key: string };
}

/** One protobuf field kept verbatim: its number and complete wire bytes. */
export interface PreservedField {
  readonly field: number;
  readonly bytes: Uint8Array;
}
