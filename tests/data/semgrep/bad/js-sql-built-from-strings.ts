// Bad: SQL assembled from strings and values.
import { Pool } from "pg";

const pool = new Pool();

export async function findUser(name: string) {
  return pool.query(`SELECT * FROM users WHERE name = '${name}'`); // expect: js-sql-built-from-strings
}

export async function deleteUser(id: string) {
  return pool.query("DELETE FROM users WHERE id = " + id); // expect: js-sql-built-from-strings
}

export async function byTenant(tenant: string) {
  const sql = `SELECT * FROM jobs WHERE tenant = '${tenant}'`;
  return pool.query(sql); // expect: js-sql-built-from-strings
}

export async function raw(prisma: any, email: string) {
  return prisma.$queryRawUnsafe(`SELECT id FROM users WHERE email = '${email}'`); // expect: js-sql-built-from-strings
}
