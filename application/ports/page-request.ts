/**
 * One page of a listing ordered by id (keyset pagination): the rows whose id is above `after`
 * (from the first when left out), at most `limit` of them. Each page costs the same however
 * deep it is, and a row added or removed between pages shifts no other row.
 */
export interface PageRequest {
  readonly after?: number;
  readonly limit: number;
}
