// Good: placeholders and tagged templates.  good: js-sql-built-from-strings
import { Pool } from "pg";

const pool = new Pool();

export async function findUser(name: string) {
  return pool.query("SELECT * FROM users WHERE name = $1", [name]);
}

export async function byTenant(tenant: string) {
  const sql = "SELECT * FROM jobs WHERE tenant = $1";
  return pool.query(sql, [tenant]);
}

export async function viaPrisma(prisma: any, email: string) {
  return prisma.$queryRaw`SELECT id FROM users WHERE email = ${email}`;
}

export async function api(http: any, id: string) {
  return http.get(`/users/${id}`);
}
