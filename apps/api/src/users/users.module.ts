import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CompaniesModule } from '../companies/companies.module';
import { PasswordHasher } from './password-hasher.service';
import { User, UserSchema } from './user.schema';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { EventsModule } from '../events/events.module';

@Module({
  imports: [EventsModule, MongooseModule.forFeature([{ name: User.name, schema: UserSchema }]), CompaniesModule],
  controllers: [UsersController],
  providers: [UsersService, PasswordHasher],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
