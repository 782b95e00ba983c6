/**
 * Who made a request (k8s.io/apiserver/pkg/authentication/user and serviceaccount/util.go): the
 * user, its uid, groups and extra attributes, and the well-known names upstream gives the
 * cluster's own identities.
 */

/** user.Info. */
export interface UserInfo {
  readonly name: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** The group of super-users: every authorizer allows it, and max-in-flight never refuses it. */
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';
export const NODES_GROUP = 'system:nodes';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS_USER = 'system:anonymous';
/** The API server's own identity for the requests it makes of itself (its loopback client). */
export const APISERVER_USER = 'system:apiserver';

export const NODE_USER_PREFIX = 'system:node:';
const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

export function userInfo(
  name: string,
  groups: readonly string[] = [],
  uid = '',
  extra: Readonly<Record<string, readonly string[]>> = {},
): UserInfo {
  return { name, uid, groups, extra };
}

/** The API server acting for itself: bootstrap, system namespaces, internal writes. */
export const APISERVER: UserInfo = userInfo(APISERVER_USER, [SYSTEM_PRIVILEGED_GROUP], '');

export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_PRIVILEGED_GROUP);
}

/**
 * nodeidentifier.NodeIdentity: a user named system:node:<name> in group system:nodes is node
 * <name>; `undefined` for everyone else, "" for a node user whose name is missing.
 */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

/** serviceaccount.MakeUsername: system:serviceaccount:<namespace>:<name>. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

/** serviceaccount.MakeGroupNames: every service account's group and its namespace's. */
export function serviceAccountGroups(namespace: string): readonly string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** serviceaccount.SplitUsername: the namespace and name of a service account user. */
export function splitServiceAccountUsername(
  username: string,
): { readonly namespace: string; readonly name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USER_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { namespace: parts[0] as string, name: parts[1] as string };
}
