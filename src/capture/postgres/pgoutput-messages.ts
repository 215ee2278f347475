import type { TextValue } from '../../core/index.ts';

/** A column of a pgoutput Relation message. */
export interface RelationColumn {
  readonly isKey: boolean;
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
}

/** Decoded pgoutput (protocol version 1) messages. LSNs are bigints, times epoch ms. */
export type PgOutputMessage =
  | { readonly tag: 'begin'; readonly finalLsn: bigint; readonly ts: number; readonly xid: number }
  | {
      readonly tag: 'commit';
      readonly commitLsn: bigint;
      readonly endLsn: bigint;
      readonly ts: number;
    }
  | {
      readonly tag: 'relation';
      readonly relationId: number;
      readonly schema: string;
      readonly table: string;
      readonly replicaIdentity: string;
      readonly columns: readonly RelationColumn[];
    }
  | {
      readonly tag: 'type';
      readonly typeOid: number;
      readonly schema: string;
      readonly name: string;
    }
  | { readonly tag: 'insert'; readonly relationId: number; readonly after: TextValue[] }
  | {
      readonly tag: 'update';
      readonly relationId: number;
      /** 'K' key-only old tuple, 'O' full old tuple, null when not sent. */
      readonly beforeKind: 'K' | 'O' | null;
      readonly before: TextValue[] | null;
      readonly after: TextValue[];
    }
  | {
      readonly tag: 'delete';
      readonly relationId: number;
      readonly beforeKind: 'K' | 'O';
      readonly before: TextValue[];
    }
  | {
      readonly tag: 'truncate';
      readonly relationIds: readonly number[];
      readonly cascade: boolean;
      readonly restartIdentity: boolean;
    }
  | {
      readonly tag: 'message';
      readonly transactional: boolean;
      readonly lsn: bigint;
      readonly prefix: string;
      readonly content: Buffer;
    }
  | { readonly tag: 'origin'; readonly lsn: bigint; readonly name: string };
