import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { CreateUserDto, ListUsersQueryDto, Role, UpdateProfileDto, UpdateUserDto, UserDto, UserListDto } from '@upgrade-manager/dto';
import { isValidObjectId, type FilterQuery, type Model, type Types } from 'mongoose';
import type { Principal } from '../auth/principal';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { CompaniesService } from '../companies/companies.service';
import { EventsService } from '../events/events.service';
import { PasswordHasher } from './password-hasher.service';
import { User, type UserDocument } from './user.schema';
import { assertCanManageUsers, removesEnabledSuper, resolveNewUser, resolveUserUpdate, userVisibilityFilter } from './users.policy';
import { DUPLICATE_KEY } from '../database/duplicate-key';

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
  companyId: string;
}

/** A user as read for login: with its hash. */
export type UserWithHash = User & { _id: Types.ObjectId };

interface UserUpdate {
  email?: string;
  name?: string;
  password?: string;
  role: Role;
  companyId: string;
  enabled: boolean;
}

export function toUserDto(user: User & { _id: Types.ObjectId }): UserDto {
  return {
    id: user._id.toString(),
    email: user.email,
    name: user.name,
    role: user.role,
    companyId: user.companyId,
    enabled: user.enabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

function notFound(): DomainError {
  return new DomainError(DomainErrorCode.NOT_FOUND, 'User not found');
}

// FerretDB 1.24 on SQLite answers an update that breaks a unique index with a generic error
// naming the SQLite constraint, not with MongoDB's duplicate key code (a 500 found by the API fuzzing).
const SQLITE_UNIQUE_VIOLATION = /UNIQUE constraint failed/;

function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === DUPLICATE_KEY || (typeof message === 'string' && SQLITE_UNIQUE_VIOLATION.test(message));
}

/** User accounts with the rights of SPEC §2; every query is scoped to what the principal may see. */
@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User.name) private readonly users: Model<User>,
    private readonly companies: CompaniesService,
    private readonly hasher: PasswordHasher,
    private readonly events: EventsService,
  ) {}

  async create(principal: Principal, dto: CreateUserDto): Promise<UserDto> {
    const { role, companyId } = resolveNewUser(principal, dto);
    const user = await this.insert({ email: dto.email, name: dto.name, password: dto.password, role, companyId }, principal);
    return toUserDto(user);
  }

  /** Creates a user without checking rights (bootstrap, samples); the company must exist. */
  async insert(input: NewUser, actor: Principal | null): Promise<UserDocument> {
    await this.assertCompanyExists(input.companyId);
    const passwordHash = await this.hasher.hash(input.password);
    let user: UserDocument;
    try {
      user = await this.users.create({ email: input.email, name: input.name, role: input.role, companyId: input.companyId, passwordHash, enabled: true });
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError(DomainErrorCode.CONFLICT, 'A user with this email already exists');
      throw error;
    }
    await this.events.record({
      type: 'user.created',
      companyId: user.companyId,
      actor,
      details: { userId: user.id, email: user.email, role: user.role },
    });
    return user;
  }

  async list(principal: Principal, query: ListUsersQueryDto): Promise<UserListDto> {
    assertCanManageUsers(principal);
    const filter: FilterQuery<User> = { $and: [userVisibilityFilter(principal), query.companyId ? { companyId: query.companyId } : {}] };
    const users = await this.users.find(filter).sort({ companyId: 1, email: 1 }).lean();
    return { items: users.map(toUserDto), total: users.length };
  }

  async get(principal: Principal, id: string): Promise<UserDto> {
    assertCanManageUsers(principal);
    return toUserDto(await this.findVisible(principal, id));
  }

  async update(principal: Principal, id: string, dto: UpdateUserDto): Promise<UserDto> {
    assertCanManageUsers(principal);
    const target = await this.findVisible(principal, id);
    const next = resolveUserUpdate(principal, target, dto);
    return this.applyUpdate(principal, target, { email: dto.email, name: dto.name, password: dto.password, ...next });
  }

  disable(principal: Principal, id: string): Promise<UserDto> {
    return this.update(principal, id, { enabled: false });
  }

  /** The logged-in user's own profile: name, and password when the current one is given. */
  async updateProfile(principal: Principal, dto: UpdateProfileDto): Promise<UserDto> {
    const target = isValidObjectId(principal.userId) ? await this.users.findById(principal.userId).select('+passwordHash') : null;
    if (!target) throw notFound();
    if (dto.password !== undefined) {
      if (!dto.currentPassword) throw new DomainError(DomainErrorCode.INVALID_INPUT, 'currentPassword is required to change the password');
      if (!(await this.hasher.verify(target.passwordHash, dto.currentPassword))) {
        throw new DomainError(DomainErrorCode.FORBIDDEN, 'The current password is wrong');
      }
    }
    return this.applyUpdate(principal, target, {
      name: dto.name,
      password: dto.password,
      role: target.role,
      companyId: target.companyId,
      enabled: target.enabled,
    });
  }

  /** For login: the user with its password hash, enabled or not. */
  findForLogin(email: string): Promise<UserWithHash | null> {
    return this.users.findOne({ email: email.trim().toLowerCase() }).select('+passwordHash').lean<UserWithHash>().exec();
  }

  /** For authenticating a token: the enabled user with this id. */
  findEnabledById(id: string): Promise<(User & { _id: Types.ObjectId }) | null> {
    if (!isValidObjectId(id)) return Promise.resolve(null);
    return this.users.findOne({ _id: id, enabled: true }).lean<User & { _id: Types.ObjectId }>().exec();
  }

  /** The enabled users of these ids, by id, in one read. */
  async findEnabledByIds(ids: readonly string[]): Promise<Map<string, User & { _id: Types.ObjectId }>> {
    const valid = ids.filter((id) => isValidObjectId(id));
    if (valid.length === 0) return new Map();
    const users = await this.users.find({ _id: { $in: valid }, enabled: true }).lean<(User & { _id: Types.ObjectId })[]>();
    return new Map(users.map((user) => [user._id.toString(), user]));
  }

  async findOwn(principal: Principal): Promise<UserDto> {
    const user = isValidObjectId(principal.userId) ? await this.users.findById(principal.userId).lean() : null;
    if (!user) throw notFound();
    return toUserDto(user);
  }

  async countUsers(): Promise<number> {
    return this.users.countDocuments({});
  }

  private async findVisible(principal: Principal, id: string): Promise<UserDocument> {
    if (!isValidObjectId(id)) throw notFound();
    const user = await this.users.findOne({ $and: [{ _id: id }, userVisibilityFilter(principal)] });
    if (!user) throw notFound();
    return user;
  }

  private async assertCompanyExists(companyId: string): Promise<void> {
    if (!(await this.companies.exists(companyId))) {
      throw new DomainError(DomainErrorCode.INVALID_INPUT, `Company "${companyId}" does not exist`, { companyId });
    }
  }

  private async applyUpdate(actor: Principal, target: UserDocument, update: UserUpdate): Promise<UserDto> {
    const before = { role: target.role, companyId: target.companyId, enabled: target.enabled };
    const after = { role: update.role, companyId: update.companyId, enabled: update.enabled };
    if (after.companyId !== before.companyId) await this.assertCompanyExists(after.companyId);
    if (removesEnabledSuper(before, after)) {
      const otherSupers = await this.users.countDocuments({ role: 'super', enabled: true, _id: { $ne: target._id } });
      if (otherSupers === 0) throw new DomainError(DomainErrorCode.CONFLICT, 'The last enabled super user cannot be demoted or disabled');
    }

    const set: Partial<User> = {};
    const details: Record<string, unknown> = { userId: target.id, email: target.email };
    const changed: string[] = [];
    if (update.email !== undefined && update.email !== target.email) {
      set.email = update.email;
      details['newEmail'] = update.email;
      changed.push('email');
    }
    if (update.name !== undefined && update.name !== target.name) {
      set.name = update.name;
      changed.push('name');
    }
    if (update.password !== undefined) {
      set.passwordHash = await this.hasher.hash(update.password);
      Object.assign(set, passwordChangeRevocation(actor, target.id as string));
      changed.push('password');
    }
    for (const field of ['role', 'companyId', 'enabled'] as const) {
      if (after[field] !== before[field]) {
        Object.assign(set, { [field]: after[field] });
        details[field] = { from: before[field], to: after[field] };
        changed.push(field);
      }
    }
    if (changed.length === 0) return toUserDto(target);

    try {
      // updateOne then read: FerretDB's findAndModify cannot project out the password hash.
      await this.users.updateOne({ _id: target._id }, { $set: set });
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError(DomainErrorCode.CONFLICT, 'A user with this email already exists');
      throw error;
    }
    const updated = await this.users.findById(target._id).lean<User & { _id: Types.ObjectId }>();
    if (!updated) throw notFound();
    await this.events.record({ type: 'user.updated', companyId: updated.companyId, actor, details: { ...details, changed } });
    return toUserDto(updated);
  }
}

/** A new password ends every other login of the user: all tokens issued before now, but the one of the user changing it. */
function passwordChangeRevocation(actor: Principal, userId: string): Pick<User, 'tokensIssuedBefore' | 'keptTokenId'> {
  const keptTokenId = actor.userId === userId ? actor.token?.id : undefined;
  return { tokensIssuedBefore: Date.now(), keptTokenId: keptTokenId ?? '' };
}
